/**
 * Helpers over a text completions stream (`tm.completions.stream(request)`).
 *
 * @since 0.1.0
 */
import { Chunk, Effect, Stream } from "effect"
import type { Completion, CompletionChoice, CompletionChunk } from "./Completion.js"
import type { Usage } from "./Usage.js"

/**
 * The text of choice 0, delta by delta.
 *
 * @since 0.1.0
 * @category combinators
 */
export const textDeltas = <E, R>(self: Stream.Stream<CompletionChunk, E, R>): Stream.Stream<string, E, R> =>
  Stream.mapChunks(self, (chunks) => {
    const texts: Array<string> = []
    for (const chunk of chunks) {
      for (const choice of chunk.choices) if (choice.index === 0 && choice.text !== "") texts.push(choice.text)
    }
    return Chunk.unsafeFromArray(texts)
  })

/**
 * Folds the stream into the `Completion` a non-streaming call returns: text per choice, finish reasons, usage.
 *
 * @since 0.1.0
 * @category combinators
 */
export const accumulate = <E, R>(self: Stream.Stream<CompletionChunk, E, R>): Effect.Effect<Completion, E, R> =>
  Effect.suspend(() => {
    let first: CompletionChunk | undefined
    let usage: Usage | undefined
    const choices = new Map<
      number,
      { text: string; finish_reason: string | null; stop_reason: string | number | null }
    >()
    const push = (chunk: CompletionChunk) => {
      first ??= chunk
      if (chunk.usage) usage = chunk.usage
      for (const choice of chunk.choices) {
        const state = choices.get(choice.index) ?? { text: "", finish_reason: null, stop_reason: null }
        state.text += choice.text
        if (choice.finish_reason) state.finish_reason = choice.finish_reason
        if (choice.stop_reason !== undefined && choice.stop_reason !== null) state.stop_reason = choice.stop_reason
        choices.set(choice.index, state)
      }
    }
    return Effect.map(
      Stream.runForEachChunk(self, (chunks) => Effect.sync(() => Chunk.forEach(chunks, push))),
      (): Completion => ({
        id: first?.id ?? "",
        object: "text_completion",
        created: first?.created ?? 0,
        model: first?.model ?? "",
        choices: [...choices.entries()].sort(([a], [b]) => a - b).map(([index, s]): CompletionChoice => ({
          index,
          text: s.text,
          finish_reason: s.finish_reason,
          stop_reason: s.stop_reason
        })),
        usage: usage ?? null
      })
    )
  })
