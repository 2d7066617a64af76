/**
 * Helpers over a chat completions stream (`tm.chat.completions.stream(request)`).
 *
 * @since 0.1.0
 */
import { Chunk, Effect, Stream } from "effect"
import type { ChatCompletion, ChatCompletionChunk } from "./ChatCompletion.js"
import { ChatAccumulator, ChatTexts } from "./internal/chat.js"
import type { ThinkPiece } from "./internal/think.js"

const pieces = <E, R>(
  self: Stream.Stream<ChatCompletionChunk, E, R>,
  kind: ThinkPiece["kind"]
): Stream.Stream<string, E, R> =>
  Stream.suspend(() => {
    const state = new ChatTexts(kind)
    const out: Array<string> = []
    return self.pipe(
      Stream.mapChunks((chunks) => {
        for (let i = 0; i < chunks.length; i++) state.push(Chunk.unsafeGet(chunks, i), out)
        const texts = out.slice()
        out.length = 0
        return Chunk.unsafeFromArray(texts)
      }),
      Stream.concat(Stream.suspend(() => {
        const out: Array<string> = []
        state.end(out)
        return Stream.fromChunk(Chunk.unsafeFromArray(out))
      }))
    )
  })

/**
 * The content text of choice 0, delta by delta. A leaked `<think>…</think>` block is suppressed, even when a tag
 * is split across chunks; an unclosed `<think>` at the end is reasoning, not content.
 *
 * @since 0.1.0
 * @category combinators
 */
export const textDeltas = <E, R>(self: Stream.Stream<ChatCompletionChunk, E, R>): Stream.Stream<string, E, R> =>
  pieces(self, "content")

/**
 * The reasoning text of choice 0, delta by delta: the wire's `reasoning` / `reasoning_content` and the text of
 * leaked `<think>` blocks.
 *
 * @since 0.1.0
 * @category combinators
 */
export const reasoningDeltas = <E, R>(self: Stream.Stream<ChatCompletionChunk, E, R>): Stream.Stream<string, E, R> =>
  pieces(self, "reasoning")

/**
 * Folds the stream into the `ChatCompletion` a non-streaming call returns, field by field: content, reasoning
 * (leaked `<think>` blocks moved out of content) and refusal concatenated, `content: null` for a turn that produced
 * only tool calls, a refusal or reasoning, tool calls merged by index with their arguments concatenated,
 * `logprobs` (the `content` and `refusal` token lists concatenated; `null` when no chunk carried any), `token_ids`
 * when streamed, finish and stop reasons, usage (also from the usage-only final chunk), and `n > 1` choices kept
 * apart. The result is a valid assistant message to send back (`messages.push(final.choices[0].message)`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const accumulate = <E, R>(self: Stream.Stream<ChatCompletionChunk, E, R>): Effect.Effect<ChatCompletion, E, R> =>
  Effect.suspend(() => {
    const accumulator = new ChatAccumulator()
    return Effect.as(
      Stream.runForEachChunk(self, (chunks) => Effect.sync(() => Chunk.forEach(chunks, (c) => accumulator.push(c)))),
      undefined
    ).pipe(Effect.map(() => accumulator.done(true)))
  })
