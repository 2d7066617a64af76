/**
 * Model lookup and the context-length rules of vLLM.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { type ApiFailure, badRequest, unknownModel } from "./errors.js"
import { findModel, type ModelCard } from "./models.js"

/** @internal */
export const resolveModel = (id: string): Effect.Effect<ModelCard, ApiFailure> => {
  const model = findModel(id)
  return model === undefined ? Effect.fail(unknownModel(id)) : Effect.succeed(model)
}

/**
 * The number of tokens the request may generate: the requested limit, else `fallback`, else the room left in the
 * context. Fails like vLLM when the prompt leaves no room or the requested limit does not fit.
 *
 * @internal
 */
export const maxTokensFor = (
  model: ModelCard,
  promptTokens: number,
  requested: number | undefined,
  options: { readonly fallback?: number | undefined; readonly noun: string; readonly param: string }
): Effect.Effect<number, ApiFailure> => {
  const max = model.maxModelLen
  if (promptTokens >= max) {
    return Effect.fail(badRequest(
      `This model's maximum context length is ${max} tokens. However, your request has ${promptTokens} input ` +
        `tokens. Please reduce the length of the input ${options.noun}.`,
      null
    ))
  }
  const limit = requested ?? options.fallback
  if (limit === undefined) return Effect.succeed(max - promptTokens)
  if (limit + promptTokens > max) {
    return Effect.fail(badRequest(
      `'${options.param}' is too large: ${limit}. This model's maximum context length is ${max} tokens and your ` +
        `request has ${promptTokens} input tokens (${limit} > ${max} - ${promptTokens}).`,
      options.param
    ))
  }
  return Effect.succeed(limit)
}

/**
 * Every token of the local tokenizer covers at most this many UTF-16 code units (3 bytes of a BMP code point, or one
 * astral code point), so a text of `length` code units has at least `ceil(length / 3)` tokens.
 *
 * @internal
 */
export const MAX_UNITS_PER_TOKEN = 3

/** @internal */
export const minTokens = (length: number): number => Math.ceil(length / MAX_UNITS_PER_TOKEN)

/**
 * The context-length check from the prompt's length alone, before it is tokenized: fails like vLLM (with the lower
 * bound as the count) when even the fewest tokens the text could have leave no room. A 100 MB prompt is rejected
 * without being tokenized.
 *
 * @internal
 */
export const checkPromptLength = (
  model: ModelCard,
  length: number,
  noun: string
): Effect.Effect<void, ApiFailure> => {
  const least = minTokens(length)
  return least >= model.maxModelLen
    ? Effect.fail(badRequest(
      `This model's maximum context length is ${model.maxModelLen} tokens. However, your request has at least ` +
        `${least} input tokens. Please reduce the length of the input ${noun}.`,
      null
    ))
    : Effect.void
}

/**
 * At most this many choices in one request (`n` × prompts).
 *
 * @internal
 */
export const MAX_CHOICES = 1024

/**
 * At most this many output tokens in one request, over all its choices: generated tokens, and echoed prompt tokens
 * (`echo`, `return_token_ids`). It bounds the size of any one answer, streamed or not.
 *
 * @internal
 */
export const MAX_OUTPUT_TOKENS = 262_144

/** @internal */
export const checkChoices = (n: number, prompts: number): Effect.Effect<void, ApiFailure> =>
  n * prompts > MAX_CHOICES
    ? Effect.fail(badRequest(
      `This server answers at most ${MAX_CHOICES} choices per request; this one asks for ${n * prompts} ` +
        `(n=${n} × ${prompts} prompts).`,
      "n"
    ))
    : Effect.void

/** @internal */
export const checkOutputTokens = (total: number): Effect.Effect<void, ApiFailure> =>
  total > MAX_OUTPUT_TOKENS
    ? Effect.fail(badRequest(
      `This server sends at most ${MAX_OUTPUT_TOKENS} output tokens per request over all its choices; this one ` +
        `would send ${total}. Lower \`n\` or \`max_tokens\`.`,
      "n"
    ))
    : Effect.void
