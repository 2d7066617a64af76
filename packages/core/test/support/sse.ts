// The production SSE parser and line splitter (`src/internal/sse.ts`) run over an Effect `Stream`, for the unit tests
// of their rules. Production runs the same parser inside the pipeline's event channel (`src/internal/events.ts`).
import { Channel, Chunk, Stream } from "effect"
import { LineSplitter, type SseEvent, SseEventTooLarge, SseParser } from "../../src/internal/sse.js"

/**
 * Runs a stateful push/end transducer over the chunks of a stream: each upstream chunk becomes (at most) one output
 * chunk; errors of type `E2` thrown by the transducer fail the stream after the outputs collected so far are emitted.
 */
const transduce = <A, B, E, R, E2>(
  self: Stream.Stream<A, E, R>,
  make: () => {
    readonly pushInto: (input: A, out: Array<B>) => void
    readonly endInto: (out: Array<B>) => void
  },
  isFailure: (u: unknown) => u is E2
): Stream.Stream<B, E | E2, R> =>
  Stream.suspend(() => {
    const state = make()
    const emit = (
      out: Array<B>,
      error: E2 | undefined,
      next: Channel.Channel<Chunk.Chunk<B>, Chunk.Chunk<A>, E | E2, E, unknown, unknown>
    ): Channel.Channel<Chunk.Chunk<B>, Chunk.Chunk<A>, E | E2, E, unknown, unknown> => {
      const rest = error === undefined ? next : Channel.fail(error)
      return out.length === 0 ? rest : Channel.zipRight(Channel.write(Chunk.unsafeFromArray(out)), rest)
    }
    const loop: Channel.Channel<Chunk.Chunk<B>, Chunk.Chunk<A>, E | E2, E, unknown, unknown> = Channel.readWithCause({
      onInput: (input: Chunk.Chunk<A>) => {
        const out: Array<B> = []
        try {
          for (const element of input) state.pushInto(element, out)
        } catch (error) {
          if (isFailure(error)) return emit(out, error, loop)
          throw error
        }
        return emit(out, undefined, loop)
      },
      onFailure: Channel.failCause,
      onDone: () => {
        const out: Array<B> = []
        try {
          state.endInto(out)
        } catch (error) {
          if (isFailure(error)) return emit(out, error, Channel.void)
          throw error
        }
        return emit(out, undefined, Channel.void)
      }
    })
    return Stream.pipeThroughChannel(self, loop)
  })

const isSseEventTooLarge = (u: unknown): u is SseEventTooLarge => u instanceof SseEventTooLarge

const isNever = (_: unknown): _ is never => false

/**
 * Decodes a byte stream (network reads) into SSE events. Each run of the stream has its own parser; the events of
 * one upstream chunk are emitted as one chunk; a pending event at EOF is dispatched; an oversized event fails the
 * stream with `SseEventTooLarge` (after the events before it). `[DONE]` is not interpreted.
 */
export const decodeSse = <E, R>(
  bytes: Stream.Stream<Uint8Array, E, R>,
  options?: { readonly maxEventSize?: number | undefined }
): Stream.Stream<SseEvent, E | SseEventTooLarge, R> =>
  transduce(bytes, () => new SseParser(options), isSseEventTooLarge)

/**
 * Decodes a byte stream into lines (same line rules as `decodeSse`), including the empty lines and a final line
 * without a terminator.
 */
export const decodeLines = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<string, E, R> =>
  transduce(bytes, () => new LineSplitter(), isNever)
