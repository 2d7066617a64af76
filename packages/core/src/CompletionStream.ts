/**
 * Helpers over a text completions stream (`tm.completions.stream(request)`).
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
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

interface ChoiceState {
  text: string
  finish_reason: string | null
  stop_reason: string | number | null
  logprobs: Record<string, Array<unknown>> | undefined
  token_ids: Array<number> | undefined
}

/** The token lists of a text completion's `logprobs`, concatenated chunk by chunk. */
const logprobLists = ["text_offset", "token_logprobs", "tokens", "top_logprobs"] as const

const appendLogprobs = (state: ChoiceState, logprobs: unknown) => {
  if (typeof logprobs !== "object" || logprobs === null) return
  const into = state.logprobs ??= { text_offset: [], token_logprobs: [], tokens: [], top_logprobs: [] }
  for (const key of logprobLists) {
    const list = (logprobs as Record<string, unknown>)[key]
    if (Array.isArray(list)) { for (let i = 0; i < list.length; i++) into[key].push(list[i]) }
  }
}

/**
 * Folds the stream into the `Completion` a non-streaming call returns, field by field: text per choice, finish and
 * stop reasons, `logprobs` (`text_offset`, `token_logprobs`, `tokens` and `top_logprobs` concatenated; `null` when
 * no chunk carried any), `token_ids` when streamed, usage.
 *
 * @since 0.1.0
 * @category combinators
 */
export const accumulate = <E, R>(self: Stream.Stream<CompletionChunk, E, R>): Effect.Effect<Completion, E, R> =>
  Effect.suspend(() => {
    let first: CompletionChunk | undefined
    let usage: Usage | undefined
    const choices = new Map<number, ChoiceState>()
    const push = (chunk: CompletionChunk) => {
      first ??= chunk
      if (chunk.usage) usage = chunk.usage
      for (const choice of chunk.choices) {
        let state = choices.get(choice.index)
        if (state === undefined) {
          state = { text: "", finish_reason: null, stop_reason: null, logprobs: undefined, token_ids: undefined }
          choices.set(choice.index, state)
        }
        state.text += choice.text
        if (choice.finish_reason) state.finish_reason = choice.finish_reason
        if (choice.stop_reason !== undefined && choice.stop_reason !== null) state.stop_reason = choice.stop_reason
        appendLogprobs(state, choice.logprobs)
        if (Array.isArray(choice.token_ids)) {
          state.token_ids ??= []
          for (const id of choice.token_ids) state.token_ids.push(id)
        }
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
          stop_reason: s.stop_reason,
          logprobs: s.logprobs ?? null,
          ...(s.token_ids === undefined ? {} : { token_ids: s.token_ids })
        })),
        usage: usage ?? null
      })
    )
  })
