import { Cause, Effect, Layer, Logger, Option, Tracer } from "effect"
import type * as Exit from "effect/Exit"

/** Everything a tracer and a logger saw: span names, attributes, events, end states and log lines, as text. */
export interface Recording {
  readonly spans: Array<RecordedSpan>
  readonly logs: Array<string>
  /** Everything above, serialised, for "never contains" checks. */
  readonly text: () => string
}

export interface RecordedSpan {
  readonly name: string
  readonly kind: Tracer.SpanKind
  readonly attributes: Map<string, unknown>
  readonly events: Array<{ readonly name: string; readonly attributes: Record<string, unknown> | undefined }>
  exit: Exit.Exit<unknown, unknown> | undefined
}

let ids = 0

const render = (value: unknown): string => {
  try {
    return typeof value === "string" ? value : JSON.stringify(value, (_, v) => typeof v === "bigint" ? String(v) : v)
  } catch {
    return String(value)
  }
}

/** A tracer and a logger that record everything, installed for the effect they wrap. */
export const record = () => {
  const spans: Array<RecordedSpan> = []
  const logs: Array<string> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, _start, kind) => {
      const recorded: RecordedSpan = { name, kind, attributes: new Map(), events: [], exit: undefined }
      spans.push(recorded)
      const id = String(++ids)
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: id,
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime: 0n },
        attributes: recorded.attributes,
        links: [...links],
        sampled: true,
        kind,
        end: (_end, exit) => {
          recorded.exit = exit
        },
        attribute: (key, value) => {
          recorded.attributes.set(key, value)
        },
        event: (eventName, _time, attributes) => {
          recorded.events.push({ name: eventName, attributes })
        },
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })
  const logger = Logger.make(({ annotations, cause, message }) => {
    logs.push(render(message) + render(cause) + render([...annotations]))
  })
  const recording: Recording = {
    spans,
    logs,
    text: () =>
      [
        ...spans.map((s) =>
          [
            s.name,
            render([...s.attributes]),
            render(s.events),
            // What an exporter records of a span's end (as @effect/opentelemetry does): on failure, the pretty
            // cause and each error's name, message and stack; never the success value.
            s.exit === undefined || s.exit._tag === "Success"
              ? ""
              : Cause.pretty(s.exit.cause) +
                render(
                  Cause.failures(s.exit.cause).pipe((errors) =>
                    [...errors].map((e) => ({
                      name: (e as Error).name,
                      message: (e as Error).message,
                      stack: (e as Error).stack
                    }))
                  )
                )
          ].join(" ")
        ),
        ...logs
      ].join("\n")
  }
  const install = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(
      Effect.withTracer(tracer),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Effect.withLogSpan("recorded")
    )
  return { recording, install, layer: Layer.setTracer(tracer) }
}

export const isSome = Option.isSome
