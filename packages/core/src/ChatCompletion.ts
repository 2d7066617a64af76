/**
 * Schemas of `POST /v1/chat/completions`: the request, the completion and the stream chunk, with the wire's field
 * names. Responses keep the keys these schemas do not model.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { samplingFields } from "./internal/sampling.js"
import { JsonObject, NonNegativeInt, nullish, PositiveInt, UnknownRecord } from "./internal/schema.js"
import { Usage } from "./Usage.js"

// ---------------------------------------------------------------------------------------------------------------
// request
// ---------------------------------------------------------------------------------------------------------------

/**
 * A part of a message's content (`{ type: "text", text }`, `{ type: "image_url", image_url }`, …); parts other
 * than text are passed through as given.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContentPart = Schema.Struct({ type: Schema.String }, UnknownRecord)

/**
 * @since 0.1.0
 * @category schemas
 */
export const ToolCall = Schema.Struct({
  id: Schema.String,
  type: Schema.Literal("function"),
  function: Schema.Struct({
    name: Schema.String,
    /** The arguments as a JSON string, exactly as the model produced them (it may not be valid JSON). */
    arguments: Schema.String
  })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ToolCall extends Schema.Schema.Type<typeof ToolCall> {}

/**
 * A message of the conversation.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatMessageParam = Schema.Struct({
  role: Schema.Literal("system", "developer", "user", "assistant", "tool"),
  content: Schema.optional(Schema.NullOr(Schema.Union(Schema.String, Schema.Array(ContentPart)))),
  name: Schema.optional(Schema.String),
  tool_calls: Schema.optional(Schema.Array(ToolCall)),
  tool_call_id: Schema.optional(Schema.String),
  reasoning: Schema.optional(Schema.NullOr(Schema.String))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatMessageParam extends Schema.Schema.Type<typeof ChatMessageParam> {}

/**
 * A function the model may call. Tensormesh rejects a missing or empty `description`, so it is required here.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatTool = Schema.Struct({
  type: Schema.Literal("function"),
  function: Schema.Struct({
    name: Schema.String.pipe(Schema.nonEmptyString()),
    description: Schema.String.pipe(Schema.nonEmptyString({ message: () => "a tool needs a non-empty description" })),
    parameters: Schema.optional(JsonObject),
    strict: Schema.optional(Schema.Boolean)
  })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatTool extends Schema.Schema.Type<typeof ChatTool> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const ToolChoice = Schema.Union(
  Schema.Literal("none", "auto", "required"),
  Schema.Struct({ type: Schema.Literal("function"), function: Schema.Struct({ name: Schema.String }) })
)

/**
 * Only `text` and `json_object`: `json_schema` is not supported on this surface, and any other key is rejected
 * before sending rather than dropped.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseFormat = Schema.Struct({
  type: Schema.Literal("text", "json_object").annotations({
    message: () => ({
      message: "must be \"json_object\" or \"text\" (json_schema is not supported on this surface)",
      override: true
    })
  })
})

/**
 * The body of `chat.completions.create` and `chat.completions.stream` (`stream` is set by the method).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatCompletionCreateParams = Schema.Struct({
  ...samplingFields,
  messages: Schema.Array(ChatMessageParam).pipe(Schema.minItems(1)),
  max_completion_tokens: Schema.optional(Schema.NullOr(PositiveInt)),
  response_format: Schema.optional(Schema.NullOr(ResponseFormat)),
  tools: Schema.optional(Schema.Array(ChatTool).pipe(Schema.minItems(1))),
  tool_choice: Schema.optional(ToolChoice),
  parallel_tool_calls: Schema.optional(Schema.Boolean),
  reasoning_effort: Schema.optional(
    Schema.NullOr(Schema.Literal("none", "minimal", "low", "medium", "high", "xhigh", "max"))
  ),
  logprobs: Schema.optional(Schema.NullOr(Schema.Boolean)),
  top_logprobs: Schema.optional(Schema.NullOr(NonNegativeInt.pipe(Schema.lessThanOrEqualTo(20))))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatCompletionCreateParams extends Schema.Schema.Type<typeof ChatCompletionCreateParams> {}

// ---------------------------------------------------------------------------------------------------------------
// response
// ---------------------------------------------------------------------------------------------------------------

/**
 * The assistant's message. `reasoning` is filled from the wire's `reasoning` or `reasoning_content`, and from a
 * leading `<think>…</think>` block leaked into `content` (which is then removed from `content`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatCompletionMessage = Schema.Struct({
  role: Schema.String,
  content: Schema.NullOr(Schema.String),
  reasoning: nullish(Schema.String),
  reasoning_content: nullish(Schema.String),
  tool_calls: nullish(Schema.Array(ToolCall)),
  refusal: nullish(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatCompletionMessage extends Schema.Schema.Type<typeof ChatCompletionMessage> {}

/**
 * `stop`, `length`, `tool_calls`, `abort`, `repetition`, … (kept open).
 *
 * @since 0.1.0
 * @category schemas
 */
export const FinishReason = Schema.String

/**
 * @since 0.1.0
 * @category schemas
 */
export const ChatCompletionChoice = Schema.Struct({
  index: NonNegativeInt,
  message: ChatCompletionMessage,
  finish_reason: Schema.NullOr(FinishReason),
  stop_reason: nullish(Schema.Union(Schema.String, Schema.Number)),
  logprobs: nullish(Schema.Unknown),
  token_ids: nullish(Schema.Array(Schema.Number))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatCompletionChoice extends Schema.Schema.Type<typeof ChatCompletionChoice> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const ChatCompletion = Schema.Struct({
  id: Schema.String,
  object: Schema.String,
  created: Schema.Number,
  model: Schema.String,
  choices: Schema.Array(ChatCompletionChoice),
  usage: nullish(Usage),
  system_fingerprint: nullish(Schema.String),
  prompt_token_ids: nullish(Schema.Array(Schema.Number)),
  kv_transfer_params: nullish(UnknownRecord)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatCompletion extends Schema.Schema.Type<typeof ChatCompletion> {}

// ---------------------------------------------------------------------------------------------------------------
// stream chunk
// ---------------------------------------------------------------------------------------------------------------

/**
 * A streamed piece of a tool call. The first delta of a call carries `id`, `type` and the name; later ones carry
 * argument fragments. `index` is missing on some servers.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolCallDelta = Schema.Struct({
  index: Schema.optional(NonNegativeInt),
  id: nullish(Schema.String),
  type: nullish(Schema.String),
  function: nullish(Schema.Struct({
    name: nullish(Schema.String),
    arguments: nullish(Schema.String)
  }))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ToolCallDelta extends Schema.Schema.Type<typeof ToolCallDelta> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const ChatCompletionDelta = Schema.Struct({
  role: nullish(Schema.String),
  content: nullish(Schema.String),
  reasoning: nullish(Schema.String),
  reasoning_content: nullish(Schema.String),
  tool_calls: nullish(Schema.Array(ToolCallDelta))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ChatCompletionChunkChoice = Schema.Struct({
  index: NonNegativeInt,
  delta: ChatCompletionDelta,
  finish_reason: nullish(FinishReason),
  stop_reason: nullish(Schema.Union(Schema.String, Schema.Number)),
  logprobs: nullish(Schema.Unknown)
})

/**
 * One chunk of a chat stream. `choices` is empty on the usage-only chunk that ends a stream with
 * `stream_options.include_usage`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatCompletionChunk = Schema.Struct({
  id: Schema.String,
  object: Schema.String,
  created: Schema.Number,
  model: Schema.String,
  choices: Schema.optionalWith(Schema.Array(ChatCompletionChunkChoice), { default: () => [] }),
  usage: nullish(Usage)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatCompletionChunk extends Schema.Schema.Type<typeof ChatCompletionChunk> {}
