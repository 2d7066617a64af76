import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import type * as Effect from "effect/Effect"
import { type TensormeshError, UpstreamError } from "../TensormeshError.js"
import { boundText, parseErrorBody } from "./errors.js"
import { type SseEvent, SseEventTooLarge, SseParser } from "./sse.js"

/**
 * What a handler tells the event loop after looking at one SSE event.
 *
 * @internal
 */
export type Signal = typeof CONTINUE | typeof STOP | TensormeshError

/** @internal */
export const CONTINUE = 0 as const
/** The terminal event arrived: end the stream (the request is aborted, which is not an error). @internal */
export const STOP = 1 as const

const tooLarge = (error: SseEventTooLarge) =>
  new UpstreamError({
    reason: "EventTooLarge",
    retryable: false,
    detail: `an SSE event of more than ${error.limit} characters`
  })

/**
 * SSE decoding and event handling for one body: `push` parses a network read and hands its events to `handle`,
 * `end` flushes the last event; each says how the stream goes on (`undefined`: read more). Values decoded before a
 * failure (an oversized event, a failing signal) are in `out` before it.
 */
class EventDecoder<A> {
  private readonly parser = new SseParser()
  private readonly events: Array<SseEvent> = []
  /** Events dispatched so far (comments and keep-alives dispatch none). */
  dispatched = 0

  constructor(
    private readonly handle: (event: SseEvent, out: Array<A>) => Signal,
    private readonly truncated: () => UpstreamError
  ) {}

  push(input: Uint8Array | string, out: Array<A>): Signal | undefined {
    let oversized: SseEventTooLarge | undefined
    try {
      if (typeof input === "string") this.parser.pushTextInto(input, this.events)
      else this.parser.pushInto(input, this.events)
    } catch (error) {
      if (!(error instanceof SseEventTooLarge)) throw error
      oversized = error
    }
    return this.drain(out) ?? (oversized === undefined ? undefined : tooLarge(oversized))
  }

  end(out: Array<A>): Signal {
    let oversized: SseEventTooLarge | undefined
    try {
      this.parser.endInto(this.events)
    } catch (error) {
      if (!(error instanceof SseEventTooLarge)) throw error
      oversized = error
    }
    return this.drain(out) ?? (oversized === undefined ? this.truncated() : tooLarge(oversized))
  }

  private drain(out: Array<A>): Signal | undefined {
    const events = this.events
    this.dispatched += events.length
    for (let i = 0; i < events.length; i++) {
      const signal = this.handle(events[i], out)
      if (signal === CONTINUE) continue
      events.length = 0
      return signal
    }
    events.length = 0
    return undefined
  }
}

/**
 * What a stream's handler does with one SSE event: push the values it yields into `out` and say how to go on.
 *
 * @internal
 */
export type Handler<A> = (event: SseEvent, out: Array<A>) => Signal

type Values<A> = Channel.Channel<Chunk.Chunk<A>, unknown, TensormeshError, unknown, void, unknown>

/** Emits what `out` holds (a scratch array, reused: the chunk gets a copy of the exact size) and goes on. */
const emit = <A>(out: Array<A>, next: Values<A>): Values<A> => {
  if (out.length === 0) return next
  const values = out.slice()
  out.length = 0
  return Channel.zipRight(Channel.write(Chunk.unsafeFromArray(values)), next)
}

const finish = <A>(signal: Signal): Values<A> =>
  signal === STOP ? Channel.void : Channel.fail(signal as TensormeshError)

/**
 * A body to decode: `pull` gives the network reads as they come (`undefined` at the end); `onEvent` is told when a
 * read completed at least one event (the idle timeout counts from there).
 *
 * @internal
 */
export interface EventSource {
  readonly pull: Effect.Effect<Chunk.Chunk<Uint8Array> | undefined, TensormeshError>
  readonly onEvent: () => void
}

/**
 * The values of a streaming response's body, a network read at a time: SSE decoding and `handle` fused into one
 * stage, so that each read is parsed, handled and emitted as one chunk without intermediate streams. Values
 * decoded before a failure (an oversized event, a failing signal) are delivered before it; a terminal event ends
 * the stream; a body that ends before it fails with `truncated` (`StreamTruncated`).
 *
 * @internal
 */
export const eventsChannel = <A>(
  open: Effect.Effect<EventSource, TensormeshError>,
  handler: () => Handler<A>,
  truncated: () => UpstreamError
): Values<A> =>
  Channel.flatMap(Channel.fromEffect(open), (source) => {
    const decoder = new EventDecoder(handler(), truncated)
    const out: Array<A> = []
    const loop: Values<A> = Channel.flatMap(Channel.fromEffect(source.pull), (reads) => {
      if (reads === undefined) return emit(out, finish(decoder.end(out)))
      const before = decoder.dispatched
      for (let i = 0; i < reads.length; i++) {
        const signal = decoder.push(Chunk.unsafeGet(reads, i), out)
        if (signal !== undefined) return emit(out, finish(signal))
      }
      if (decoder.dispatched !== before) source.onEvent()
      return emit(out, loop)
    })
    return loop
  })

/**
 * An error reported inside a stream: `event: error`, or a data object with an `error` key. Its `detail` and `body`
 * are bounded and scrubbed of `secrets` as those of an error response (`parseErrorBody`).
 *
 * @internal
 */
export const streamError = (data: string, parsed: unknown, secrets: ReadonlyArray<string> = []): UpstreamError => {
  const { body, detail } = parseErrorBody(data, secrets)
  const payload = (parsed ?? body) as { error?: { code?: unknown } | unknown; code?: unknown } | undefined
  const inner = typeof payload?.error === "object" && payload.error !== null
    ? payload.error as { code?: unknown }
    : payload
  const code = typeof inner?.code === "number" ? inner.code : Number(inner?.code)
  return new UpstreamError({
    reason: "StreamError",
    retryable: !(code >= 400 && code < 500),
    detail: detail ?? "the server reported an error in the stream",
    body
  })
}

/** @internal */
export const notJson = (data: string, cause: unknown, secrets: ReadonlyArray<string> = []): UpstreamError =>
  new UpstreamError({
    reason: "InvalidResponse",
    retryable: false,
    detail: `a stream event is not JSON: ${boundText(data, 200, secrets)}`,
    cause
  })

/**
 * The JSON of an event's data, or the signal that ends the stream: `[DONE]` (`STOP`), data that is not JSON
 * (`InvalidResponse`, or `StreamError` for an `event: error`).
 *
 * @internal
 */
export const eventJson = (
  event: SseEvent,
  secrets: ReadonlyArray<string>
): { readonly json: unknown } | typeof STOP | UpstreamError => {
  const data = event.data
  if (data === "[DONE]") return STOP
  try {
    return { json: JSON.parse(data) }
  } catch (cause) {
    return event.event === "error" ? streamError(data, undefined, secrets) : notJson(data, cause, secrets)
  }
}

/** @internal */
export const truncatedStream = (what: string) => () =>
  new UpstreamError({ reason: "StreamTruncated", retryable: true, detail: `the stream ended before ${what}` })
