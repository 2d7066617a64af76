/**
 * Helpers over a chat completions stream (`tm.chat.completions.stream(request)`).
 *
 * @example
 * ```ts
 * import { ChatStream } from "@tensormesh-effect/core"
 * import { Effect, Stream } from "effect"
 *
 * const chunk = (content: string) => ({
 *   id: "chatcmpl-1",
 *   object: "chat.completion.chunk",
 *   created: 0,
 *   model: "tensormesh/think-leak",
 *   choices: [{ index: 0, delta: { content } }]
 * })
 *
 * // A leaked <think> block, its tags split across chunks, never reaches the text
 * const chunks = Stream.make(chunk("<thi"), chunk("nk>plan</th"), chunk("ink>\n\nHel"), chunk("lo"))
 * const text = Effect.runSync(chunks.pipe(ChatStream.textDeltas, Stream.mkString))
 * assert.strictEqual(text, "Hello")
 * const reasoning = Effect.runSync(chunks.pipe(ChatStream.reasoningDeltas, Stream.mkString))
 * assert.strictEqual(reasoning, "plan")
 * ```
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { ChatCompletion, ChatCompletionChunk } from "./ChatCompletion.js"
import { ChatAccumulator, ChatTexts } from "./internal/chat.js"
import { type ThinkPiece, ThinkStreamSplitter } from "./internal/think.js"

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

type Choice = ChatCompletionChunk["choices"][number]

const moveThinking = (choice: Choice, splitter: ThinkStreamSplitter): Choice => {
  const delta = choice.delta
  const content = delta.content
  if (typeof content !== "string" || content === "") return choice
  const plain = splitter.passThrough(content)
  if (plain === "content") return choice
  const pieces: ReadonlyArray<ThinkPiece> = plain === "reasoning"
    ? [{ kind: "reasoning", text: content }]
    : splitter.push(content)
  return { ...choice, delta: withPieces(delta, pieces) }
}

const withPieces = (delta: Choice["delta"], pieces: ReadonlyArray<ThinkPiece>): Choice["delta"] => {
  let content = ""
  let reasoning = ""
  for (const piece of pieces) {
    if (piece.kind === "content") content += piece.text
    else reasoning += piece.text
  }
  const wire = delta.reasoning ?? delta.reasoning_content
  const { content: _content, reasoning: _reasoning, ...rest } = delta
  const merged = (typeof wire === "string" ? wire : "") + reasoning
  return {
    ...rest,
    ...(content === "" ? {} : { content }),
    ...(merged === "" ? {} : { reasoning: merged })
  }
}

/**
 * The chunks with leaked `<think>…</think>` blocks moved out of each choice's `content` deltas into its `reasoning`
 * deltas (after the wire's own `reasoning` / `reasoning_content` of the same delta), even when a tag is split across
 * chunks: what `stripThinking` does for `create`, for a stream. Text held back because it may begin a tag is
 * released with the next delta of its choice, or in one last chunk when the stream ends.
 *
 * Concatenated over choice 0, the `content` and `reasoning` deltas are what `textDeltas` and `reasoningDeltas`
 * yield.
 *
 * @since 0.2.0
 * @category combinators
 */
export const stripThinking = <E, R>(
  self: Stream.Stream<ChatCompletionChunk, E, R>
): Stream.Stream<ChatCompletionChunk, E, R> =>
  Stream.suspend(() => {
    const splitters = new Map<number, ThinkStreamSplitter>()
    let last: ChatCompletionChunk | undefined
    const splitterOf = (index: number) => {
      let splitter = splitters.get(index)
      if (splitter === undefined) {
        splitter = new ThinkStreamSplitter()
        splitters.set(index, splitter)
      }
      return splitter
    }
    return self.pipe(
      Stream.map((chunk) => {
        last = chunk
        let changed = false
        const choices = chunk.choices.map((choice) => {
          const next = moveThinking(choice, splitterOf(choice.index))
          if (next !== choice) changed = true
          return next
        })
        return changed ? { ...chunk, choices } : chunk
      }),
      Stream.concat(Stream.suspend(() => {
        const choices: Array<Choice> = []
        for (const [index, splitter] of splitters) {
          const pieces = splitter.end()
          if (pieces.length > 0) choices.push({ index, delta: withPieces({}, pieces) })
        }
        if (choices.length === 0 || last === undefined) return Stream.empty
        const { usage: _usage, ...base } = last
        return Stream.make<[ChatCompletionChunk]>({ ...base, choices })
      }))
    )
  })
