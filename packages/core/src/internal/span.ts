import * as Channel from "effect/Channel"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import type * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import { errorTypeOf } from "./telemetry.js"

// One span per call, of kind `client`, named as the GenAI conventions say (`internal/telemetry.ts`), for effects and streams alike: made when the call
// starts, ended with its exit and `error.type` on
// failure (a stream's span covers the whole stream).

const make = (name: string, attributes: Record<string, unknown>): Effect.Effect<Tracer.Span> =>
  Effect.makeSpan(name, { kind: "client", attributes, captureStackTrace: false })

const end = (span: Tracer.Span, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
  Effect.flatMap(
    FiberRef.get(FiberRef.currentTracerTimingEnabled),
    (timing) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const errorType = errorTypeOf(exit)
          if (errorType !== undefined) span.attribute("error.type", errorType)
          span.end(timing ? clock.unsafeCurrentTimeNanos() : BigInt(0), exit)
        })
      )
  )

/**
 * Runs `body` with the call's span, ended with its exit. Nothing the SDK runs inside a call makes spans of its own,
 * so the span is not installed as the parent (that costs a context update per call).
 *
 * @internal
 */
export const withSpan = <A, E, R>(
  name: string,
  attributes: Record<string, unknown>,
  body: (span: Tracer.Span) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(make(name, attributes), (span) => Effect.onExit(restore(body(span)), (exit) => end(span, exit)))
  )

/**
 * The same for a stream: `use` runs with the span and whatever `acquire` made; `release` runs before the span
 * ends, with the stream's exit.
 *
 * @internal
 */
export const channelWithSpan = <S, OutElem, OutErr, OutDone>(
  name: string,
  attributes: Record<string, unknown>,
  acquire: (span: Tracer.Span) => Effect.Effect<S>,
  use: (state: S) => Channel.Channel<OutElem, unknown, OutErr, unknown, OutDone, unknown>,
  release: (state: S, exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void>
): Channel.Channel<OutElem, unknown, OutErr, unknown, OutDone, unknown> =>
  Channel.acquireUseRelease(
    Effect.flatMap(make(name, attributes), (span) => Effect.map(acquire(span), (state) => ({ span, state }))),
    ({ state }) => use(state),
    ({ span, state }, exit) => Effect.zipRight(release(state, exit), end(span, exit))
  )

/**
 * A span ended when the current scope closes, with the scope's exit.
 *
 * @internal
 */
export const scopedSpan = (
  name: string,
  attributes: Record<string, unknown>
): Effect.Effect<Tracer.Span, never, Scope.Scope> => Effect.acquireRelease(make(name, attributes), end)
