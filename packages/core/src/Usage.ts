/**
 * Token usage as the chat and completions routes report it.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { NonNegativeInt, nullish } from "./internal/schema.js"

/**
 * Prompt tokens served from the prefix cache (`cached_tokens`, null on some servers when zero) and, on
 * Tensormesh, tokens written to it (`created_cache_tokens`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PromptTokensDetails = Schema.Struct({
  cached_tokens: nullish(NonNegativeInt),
  created_cache_tokens: nullish(NonNegativeInt)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const CompletionTokensDetails = Schema.Struct({
  reasoning_tokens: nullish(NonNegativeInt)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const Usage = Schema.Struct({
  prompt_tokens: NonNegativeInt,
  completion_tokens: Schema.optionalWith(NonNegativeInt, { default: () => 0 }),
  total_tokens: NonNegativeInt,
  prompt_tokens_details: nullish(PromptTokensDetails),
  completion_tokens_details: nullish(CompletionTokensDetails)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Usage extends Schema.Schema.Type<typeof Usage> {}
