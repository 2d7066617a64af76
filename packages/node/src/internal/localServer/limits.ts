/**
 * Model lookup and the context-length rules of vLLM.
 *
 * @internal
 */
import { Effect } from "effect"
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
