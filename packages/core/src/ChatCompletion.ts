/**
 * Schemas of `POST /v1/chat/completions`: the request, the completion and the stream chunk, with the wire's field
 * names. Responses keep the keys these schemas do not model.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { samplingFields } from "./internal/sampling.js"
import { JsonObject, NonNegativeInt, nullish, PositiveInt, UnknownRecord, WireEncodingId } from "./internal/schema.js"
import { chatRequestWire } from "./internal/wire.js"
import { Usage } from "./Usage.js"

// ---------------------------------------------------------------------------------------------------------------
// request
// ---------------------------------------------------------------------------------------------------------------

/**
 * A part of a message's content, as vLLM accepts them: `{ type: "text", text }`, `{ type: "image_url", image_url }`,
 * `{ type: "input_audio", input_audio }`, `{ type: "video_url", video_url }`, `{ type: "file", file }`,
 * `{ type: "refusal", refusal }`, …; parts are sent as given.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContentPart = Schema.Struct({ type: Schema.String }, UnknownRecord)

/**
 * A message's content: a string or a list of parts.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageContent = Schema.Union(Schema.String, Schema.Array(ContentPart))

/**
 * A tool call of an assistant message.
 *
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
 * A tool call sent back in an assistant message: a returned `ToolCall`, with any key the decoder kept (only `id`,
 * `type` and `function.{name, arguments}` are sent).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolCallParam: Schema.Schema<ToolCall> = Schema.Struct({
  id: Schema.String,
  type: Schema.Literal("function"),
  function: Schema.Struct({ name: Schema.String, arguments: Schema.String }, UnknownRecord)
}, UnknownRecord) as unknown as Schema.Schema<ToolCall>

/**
 * A system message.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatSystemMessageParam = Schema.Struct({
  role: Schema.Literal("system"),
  content: MessageContent,
  name: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatSystemMessageParam extends Schema.Schema.Type<typeof ChatSystemMessageParam> {}

/**
 * A developer message (the newer name of a system message).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatDeveloperMessageParam = Schema.Struct({
  role: Schema.Literal("developer"),
  content: MessageContent,
  name: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatDeveloperMessageParam extends Schema.Schema.Type<typeof ChatDeveloperMessageParam> {}

/**
 * A user message: text, or parts (text, images, audio, …).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatUserMessageParam = Schema.Struct({
  role: Schema.Literal("user"),
  content: MessageContent,
  name: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatUserMessageParam extends Schema.Schema.Type<typeof ChatUserMessageParam> {}

/**
 * A tool's result, answering the assistant's tool call `tool_call_id`: text, or text parts.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatToolMessageParam = Schema.Struct({
  role: Schema.Literal("tool"),
  content: MessageContent,
  tool_call_id: Schema.String,
  name: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatToolMessageParam extends Schema.Schema.Type<typeof ChatToolMessageParam> {}

const assistantFields = {
  role: Schema.Literal("assistant"),
  content: Schema.optional(Schema.NullOr(MessageContent)),
  name: nullish(Schema.String),
  tool_calls: nullish(Schema.Array(ToolCallParam)),
  refusal: nullish(Schema.String),
  reasoning: nullish(Schema.String),
  reasoning_content: nullish(Schema.String),
  function_call: nullish(Schema.Struct({ name: Schema.String, arguments: Schema.String }, UnknownRecord)),
  audio: nullish(Schema.Struct({ id: Schema.String }, UnknownRecord)),
  annotations: nullish(Schema.Array(Schema.Unknown))
}

/**
 * An assistant message: one written by hand, or a message exactly as the API returned it (`create`'s
 * `choices[i].message`, `ChatStream.accumulate`'s), with its null fields and the keys the decoder kept. What is
 * sent on the wire, per field (what vLLM and the OpenAI API accept):
 *
 * - `role`, `name`: sent (a null `name` is not).
 * - `content`: a string or parts, sent; `null` (a tool-call-only or refusal-only turn) is not sent, which both
 *   servers read as no content.
 * - `tool_calls`: sent when non-empty, each call as `{ id, type, function: { name, arguments } }` (other keys
 *   dropped); `[]` and `null` are not sent (the OpenAI API rejects an empty list, and chat templates that test
 *   `"tool_calls" in message` treat `[]` as a call).
 * - `reasoning` / `reasoning_content`: sent as `reasoning` (`reasoning ?? reasoning_content`), the name vLLM reads
 *   (it renames `reasoning_content` to `reasoning` and hands both names to the chat template), so a model with
 *   interleaved thinking sees its earlier reasoning; `reasoning_content` itself is never sent.
 * - `refusal`: sent when a string (both servers accept it on an assistant message); `null` is not.
 * - `function_call` (deprecated): sent as `{ name, arguments }` when set; `null` is not.
 * - `audio`: sent as `{ id }` when set (the OpenAI API refers to earlier audio by id; `data`, `transcript` and
 *   `expires_at` are output-only); `null` is not.
 * - `annotations`: output-only (citations), never sent.
 * - any other key (kept by the decoder from a response): output-only, never sent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatAssistantMessageParam: Schema.Schema<ChatAssistantMessageParam> = Schema.Struct(
  assistantFields,
  UnknownRecord
) as unknown as Schema.Schema<ChatAssistantMessageParam>

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatAssistantMessageParam extends Schema.Struct.Type<typeof assistantFields> {}

/**
 * A message of the conversation, told apart by `role`. A message returned by the API (`ChatCompletionMessage`) is
 * a valid assistant message as it is (see `ChatAssistantMessageParam` for what is sent); its `role` must then be
 * `"assistant"`, as servers send it (vLLM answers with another role only when started with `--response-role` or
 * called with `add_generation_prompt: false`). The other roles are strict: an unknown key is a `ValidationError`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatMessageParam: Schema.Schema<ChatMessageParam> = Schema.Union(
  ChatSystemMessageParam,
  ChatDeveloperMessageParam,
  ChatUserMessageParam,
  ChatAssistantMessageParam,
  ChatToolMessageParam
) as unknown as Schema.Schema<ChatMessageParam>

/**
 * @since 0.1.0
 * @category models
 */
export type ChatMessageParam =
  | ChatSystemMessageParam
  | ChatDeveloperMessageParam
  | ChatUserMessageParam
  | ChatAssistantMessageParam
  | ChatToolMessageParam
  | ChatCompletionMessage

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
 * The body of `chat.completions.create` and `chat.completions.stream` (`stream` is set by the method). Messages
 * are sent as their schemas document: an assistant message without its null and output-only fields.
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
}).annotations({ [WireEncodingId]: chatRequestWire })

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
  refusal: nullish(Schema.String),
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
