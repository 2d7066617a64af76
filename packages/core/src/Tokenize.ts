/**
 * Schemas of `POST /tokenize` and `POST /detokenize` (on the host root, not under `/v1`).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { ChatMessageParam, ChatTool } from "./ChatCompletion.js"
import { Int, JsonObject, NonNegativeInt, nullish, WireEncodingId } from "./internal/schema.js"
import { chatRequestWire } from "./internal/wire.js"

const model = Schema.String.pipe(Schema.nonEmptyString())
const extraBody = Schema.optional(JsonObject)

/**
 * Tokenize a prompt (`add_special_tokens` defaults to true on the server).
 *
 * @since 0.1.0
 * @category schemas
 */
export const TokenizePromptParams = Schema.Struct({
  model,
  prompt: Schema.String,
  add_special_tokens: Schema.optional(Schema.Boolean),
  return_token_strs: Schema.optional(Schema.Boolean),
  extraBody
})

/**
 * Tokenize a conversation through the model's chat template (`add_special_tokens` defaults to false). Messages
 * are sent as on chat completions (see `ChatAssistantMessageParam`), so a conversation counts as it will be sent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TokenizeMessagesParams = Schema.Struct({
  model,
  messages: Schema.Array(ChatMessageParam).pipe(Schema.minItems(1)),
  add_generation_prompt: Schema.optional(Schema.Boolean),
  continue_final_message: Schema.optional(Schema.Boolean),
  add_special_tokens: Schema.optional(Schema.Boolean),
  return_token_strs: Schema.optional(Schema.Boolean),
  chat_template_kwargs: Schema.optional(JsonObject),
  tools: Schema.optional(Schema.Array(ChatTool)),
  extraBody
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const TokenizeParams = Schema.Union(TokenizePromptParams, TokenizeMessagesParams).annotations({
  [WireEncodingId]: chatRequestWire
})

/**
 * @since 0.1.0
 * @category models
 */
export type TokenizeParams = Schema.Schema.Type<typeof TokenizeParams>

/**
 * @since 0.1.0
 * @category schemas
 */
export const TokenizeResult = Schema.Struct({
  count: Schema.optional(NonNegativeInt),
  max_model_len: nullish(Schema.Number),
  tokens: Schema.Array(Int),
  token_strs: nullish(Schema.Array(Schema.String))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenizeResult extends Schema.Schema.Type<typeof TokenizeResult> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const DetokenizeParams = Schema.Struct({
  model,
  tokens: Schema.Array(Int),
  extraBody
})

/**
 * @since 0.1.0
 * @category models
 */
export interface DetokenizeParams extends Schema.Schema.Type<typeof DetokenizeParams> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const DetokenizeResult = Schema.Struct({
  prompt: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export interface DetokenizeResult extends Schema.Schema.Type<typeof DetokenizeResult> {}
