import { type Cause, Channel, Chunk, type Effect, Stream } from "effect"
import { type TensormeshError, UpstreamError } from "../TensormeshError.js"
import { boundText, parseErrorBody } from "./errors.js"
import { decodeLines, type SseEvent, SseEventTooLarge, SseParser } from "./sse.js"

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

type Values<A, In, InErr> = Channel.Channel<Chunk.Chunk<A>, In, TensormeshError, InErr, void, unknown>

/** Emits what `out` holds (a scratch array, reused: the chunk gets a copy of the exact size) and goes on. */
const emit = <A, In, InErr>(out: Array<A>, next: Values<A, In, InErr>): Values<A, In, InErr> => {
  if (out.length === 0) return next
  const values = out.slice()
  out.length = 0
  return Channel.zipRight(Channel.write(Chunk.unsafeFromArray(values)), next)
}

const finish = <A, In, InErr>(signal: Signal): Values<A, In, InErr> =>
  signal === STOP ? Channel.void : Channel.fail(signal as TensormeshError)

/**
 * The values of a streaming response's body, a network read at a time: SSE decoding and `handle` fused into one
 * stage, so that each read is parsed, handled and emitted as one chunk without intermediate streams. `handle`
 * pushes what an event yields into `out` and signals whether to go on. Values decoded before a failure (an
 * oversized event, a failing signal) are delivered before it; a terminal event ends the stream; a body that ends
 * before it fails with `truncated` (`StreamTruncated`).
 *
 * @internal
 */
export const sseValues = <A>(
  body: Stream.Stream<Uint8Array, TensormeshError>,
  handle: (event: SseEvent, out: Array<A>) => Signal,
  truncated: () => UpstreamError
): Stream.Stream<A, TensormeshError> =>
  Stream.suspend(() => {
    const decoder = new EventDecoder(handle, truncated)
    const out: Array<A> = []
    const loop: Values<A, Chunk.Chunk<Uint8Array>, TensormeshError> = Channel.readWithCause({
      onInput: (reads: Chunk.Chunk<Uint8Array>) => {
        for (let i = 0; i < reads.length; i++) {
          const signal = decoder.push(Chunk.unsafeGet(reads, i), out)
          if (signal !== undefined) return emit(out, finish(signal))
        }
        return emit(out, loop)
      },
      onFailure: (cause: Cause.Cause<TensormeshError>) => Channel.failCause(cause),
      onDone: () => emit(out, finish(decoder.end(out)))
    })
    return Stream.pipeThroughChannel(body, loop)
  })

/**
 * The same as `sseValues` as a channel that pulls the body itself: `next` gives the network reads as they come,
 * decoded (`undefined` at the end). One stage from the socket to the values, for the direct transport.
 *
 * @internal
 */
export const valuesChannel = <A>(
  next: Effect.Effect<Chunk.Chunk<string> | undefined, TensormeshError>,
  handle: (event: SseEvent, out: Array<A>) => Signal,
  truncated: () => UpstreamError
): Values<A, unknown, unknown> =>
  Channel.suspend(() => {
    const decoder = new EventDecoder(handle, truncated)
    const out: Array<A> = []
    const loop: Values<A, unknown, unknown> = Channel.flatMap(Channel.fromEffect(next), (reads) => {
      if (reads === undefined) return emit(out, finish(decoder.end(out)))
      for (let i = 0; i < reads.length; i++) {
        const signal = decoder.push(Chunk.unsafeGet(reads, i), out)
        if (signal !== undefined) return emit(out, finish(signal))
      }
      return emit(out, loop)
    })
    return loop
  })

/**
 * The raw lines of a streaming response's body.
 *
 * @internal
 */
export const sseLines = (body: Stream.Stream<Uint8Array, TensormeshError>): Stream.Stream<string, TensormeshError> =>
  decodeLines(body)

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

/** @internal */
export const truncatedStream = (what: string) => () =>
  new UpstreamError({ reason: "StreamTruncated", retryable: true, detail: `the stream ended before ${what}` })
