import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { type Cause, Channel, Chunk, type Duration, Stream } from "effect"
import { type TensormeshError, UpstreamError } from "../TensormeshError.js"
import { fromRequestError, parseErrorBody, truncate } from "./errors.js"
import { decodeLines, decodeSse, type SseEvent, SseEventTooLarge } from "./sse.js"

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

/**
 * Turns SSE events into values, a network read at a time: `handle` pushes what an event yields into `out` and
 * signals whether to go on. Values decoded before a failure are delivered before it; a body that ends before
 * the terminal event fails with `StreamTruncated`.
 *
 * @internal
 */
export const eventLoop = <A>(
  handle: (event: SseEvent, out: Array<A>) => Signal,
  truncated: () => UpstreamError
) => {
  type Loop = Channel.Channel<Chunk.Chunk<A>, Chunk.Chunk<SseEvent>, TensormeshError, TensormeshError, void, unknown>
  const emit = (out: Array<A>, next: Loop): Loop =>
    out.length === 0 ? next : Channel.zipRight(Channel.write(Chunk.unsafeFromArray(out)), next)
  const loop: Loop = Channel.readWithCause({
    onInput: (events: Chunk.Chunk<SseEvent>) => {
      const out: Array<A> = []
      for (const event of events) {
        const signal = handle(event, out)
        if (signal === CONTINUE) continue
        return emit(out, signal === STOP ? Channel.void : Channel.fail(signal))
      }
      return emit(out, loop)
    },
    onFailure: (cause: Cause.Cause<TensormeshError>) => Channel.failCause(cause),
    onDone: () => Channel.fail(truncated())
  })
  return loop
}

const idleTimeout = () =>
  new UpstreamError({ reason: "IdleTimeout", retryable: true, detail: "no stream data within the idle timeout" })

const tooLarge = (error: SseEventTooLarge) =>
  new UpstreamError({
    reason: "EventTooLarge",
    retryable: false,
    detail: `an SSE event of more than ${error.limit} characters`
  })

const bodyBytes = (response: HttpClientResponse.HttpClientResponse, idle: Duration.Duration) =>
  response.stream.pipe(
    Stream.mapError(fromRequestError),
    Stream.timeoutFail(idleTimeout, idle)
  )

/**
 * The SSE events of a streaming response, with the idle timeout between network reads.
 *
 * @internal
 */
export const sseEvents = (
  response: HttpClientResponse.HttpClientResponse,
  idle: Duration.Duration
): Stream.Stream<SseEvent, TensormeshError> =>
  decodeSse(bodyBytes(response, idle)).pipe(
    Stream.mapError((error) => error instanceof SseEventTooLarge ? tooLarge(error) : error)
  )

/**
 * The raw lines of a streaming response, with the idle timeout between network reads.
 *
 * @internal
 */
export const sseLines = (
  response: HttpClientResponse.HttpClientResponse,
  idle: Duration.Duration
): Stream.Stream<string, TensormeshError> => decodeLines(bodyBytes(response, idle))

/**
 * An error reported inside a stream: `event: error`, or a data object with an `error` key.
 *
 * @internal
 */
export const streamError = (data: string, parsed: unknown): UpstreamError => {
  const { body, detail } = parseErrorBody(data)
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
export const notJson = (data: string, cause: unknown): UpstreamError =>
  new UpstreamError({
    reason: "InvalidResponse",
    retryable: false,
    detail: `a stream event is not JSON: ${truncate(data, 200)}`,
    cause
  })

/** @internal */
export const truncatedStream = (what: string) => () =>
  new UpstreamError({ reason: "StreamTruncated", retryable: true, detail: `the stream ended before ${what}` })
