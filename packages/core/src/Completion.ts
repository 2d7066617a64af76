/**
 * Schemas of `POST /v1/completions` (text completions): the request, the completion and the stream chunk.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { samplingFields } from "./internal/sampling.js"
import { Int, NonNegativeInt, nullish, UnknownRecord } from "./internal/schema.js"
import { Usage } from "./Usage.js"

/**
 * The body of `completions.create` and `completions.stream`. vLLM defaults `max_tokens` to 16, so set it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CompletionCreateParams = Schema.Struct({
  ...samplingFields,
  prompt: Schema.Union(
    Schema.String,
    Schema.Array(Schema.String).pipe(Schema.minItems(1)),
    Schema.Array(Int).pipe(Schema.minItems(1)),
    Schema.Array(Schema.Array(Int)).pipe(Schema.minItems(1))
  ),
  echo: Schema.optional(Schema.NullOr(Schema.Boolean)),
  logprobs: Schema.optional(Schema.NullOr(NonNegativeInt))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface CompletionCreateParams extends Schema.Schema.Type<typeof CompletionCreateParams> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const CompletionChoice = Schema.Struct({
  index: NonNegativeInt,
  text: Schema.String,
  finish_reason: nullish(Schema.String),
  stop_reason: nullish(Schema.Union(Schema.String, Schema.Number)),
  logprobs: nullish(Schema.Unknown),
  token_ids: nullish(Schema.Array(Schema.Number))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface CompletionChoice extends Schema.Schema.Type<typeof CompletionChoice> {}

/**
 * A text completion, and also one chunk of a completions stream (the same object with partial `text`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Completion = Schema.Struct({
  id: Schema.String,
  object: Schema.String,
  created: Schema.Number,
  model: Schema.String,
  choices: Schema.optionalWith(Schema.Array(CompletionChoice), { default: () => [] }),
  usage: nullish(Usage),
  system_fingerprint: nullish(Schema.String),
  kv_transfer_params: nullish(UnknownRecord)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Completion extends Schema.Schema.Type<typeof Completion> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const CompletionChunk = Completion

/**
 * @since 0.1.0
 * @category models
 */
export interface CompletionChunk extends Completion {}
