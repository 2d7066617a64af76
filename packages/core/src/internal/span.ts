import * as Channel from "effect/Channel"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import { type CallLabels, CallRecord, type StreamObserver } from "./telemetry.js"

// One span per call, of kind `client`, named as the GenAI conventions say (`internal/telemetry.ts`), for effects and
// streams alike, made with `Effect.makeSpan` (the fiber's tracer, parent span, annotations and links) when the call
// starts, and ended with its exit (`error.type` on failure; a stream's span covers the whole stream). The call's
// metrics begin and end with it, in the same steps (`CallRecord`).

/**
 * What a call's span and metrics are made of: the span's name and attributes, the metric labels.
 *
 * @internal
 */
export interface CallSpec {
  readonly name: string
  /** Puts the call's attributes on its span. */
  readonly annotate: (span: Tracer.Span) => void
  readonly labels: CallLabels
}

const makeSpan = (spec: CallSpec) => Effect.makeSpan(spec.name, { kind: "client", captureStackTrace: false })

const recordOf = (spec: CallSpec, span: Tracer.Span, fiber: Fiber.RuntimeFiber<unknown, unknown>) => {
  spec.annotate(span)
  return new CallRecord(fiber, span, spec.labels)
}

const begin = (spec: CallSpec): Effect.Effect<CallRecord> =>
  Effect.flatMap(
    makeSpan(spec),
    (span) => Effect.withFiberRuntime((fiber) => Effect.succeed(recordOf(spec, span, fiber)))
  )

/**
 * Runs `body` as one call: its span and metrics begun first, ended with its exit (and the tokens `body` put on the
 * record). Nothing the SDK runs inside a call makes spans of its own, so the span is not installed as the parent
 * (that costs a context update per call).
 *
 * @internal
 */
export const withCall = <A, E, R>(
  spec: CallSpec,
  body: (record: CallRecord) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(makeSpan(spec), (span) =>
      Effect.withFiberRuntime((fiber) => {
        const record = recordOf(spec, span, fiber)
        // ended in the same step as the body's exit (no `Effect.exit` and `flatMap` after it)
        return Effect.matchCauseEffect(restore(body(record)), {
          onFailure: (cause) => {
            record.end(Exit.failCause(cause))
            return Effect.failCause(cause)
          },
          onSuccess: (value) => {
            record.end(Exit.void)
            return Effect.succeed(value)
          }
        })
      }))
  )

/**
 * The same for a stream: `use` runs with whatever `acquire` made of the record; `release` runs before the call
 * ends, with the stream's exit, and gives what the stream's values said.
 *
 * @internal
 */
export const channelWithCall = <S, OutElem, OutErr, OutDone>(
  spec: CallSpec,
  acquire: (record: CallRecord) => Effect.Effect<S>,
  use: (state: S) => Channel.Channel<OutElem, unknown, OutErr, unknown, OutDone, unknown>,
  release: (state: S, exit: Exit.Exit<unknown, unknown>) => Effect.Effect<StreamObserver | undefined>
): Channel.Channel<OutElem, unknown, OutErr, unknown, OutDone, unknown> =>
  Channel.acquireUseRelease(
    Effect.flatMap(begin(spec), (record) => Effect.map(acquire(record), (state) => ({ record, state }))),
    ({ state }) => use(state),
    ({ record, state }, exit) => Effect.map(release(state, exit), (observer) => record.end(exit, observer))
  )

/**
 * A call begun now and ended when the current scope closes, with the scope's exit, unless it was ended before.
 *
 * @internal
 */
export const scopedCall = (spec: CallSpec): Effect.Effect<CallRecord, never, Scope.Scope> =>
  Effect.acquireRelease(begin(spec), (record, exit) => Effect.sync(() => record.end(exit)))
