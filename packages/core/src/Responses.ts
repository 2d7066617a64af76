/**
 * Schemas of `POST /v1/responses`: the request, the response object and the stream events.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import {
  Int,
  JsonObject,
  keyedUnion,
  NonNegativeInt,
  nullish,
  PositiveInt,
  stringOr,
  UnknownRecord,
  WireEncodingId
} from "./internal/schema.js"
import { responseRequestWire } from "./internal/wire.js"

// ---------------------------------------------------------------------------------------------------------------
// request
// ---------------------------------------------------------------------------------------------------------------

/**
 * A content part of an input message (`input_text`, `input_image`, `output_text`, …), sent as given.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseInputPart = Schema.Struct({ type: Schema.String }, UnknownRecord)

const messageFields = {
  type: Schema.optional(Schema.Literal("message")),
  id: nullish(Schema.String),
  role: Schema.Literal("system", "developer", "user", "assistant"),
  content: Schema.Union(Schema.String, Schema.Array(ResponseInputPart)),
  status: nullish(Schema.String)
}

/**
 * A message item: `{ role, content }` (with or without `type: "message"`), or a message output item exactly as
 * returned (with its `id`, `status` and the keys the decoder kept). Sent: `type`, `id`, `role`, `content` (parts as
 * given), `status`; null fields and other keys are not sent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseInputMessage: Schema.Schema<ResponseInputMessage> = Schema.Struct(
  messageFields,
  UnknownRecord
) as unknown as Schema.Schema<ResponseInputMessage>

/**
 * @since 0.1.0
 * @category models
 */
export interface ResponseInputMessage extends Schema.Struct.Type<typeof messageFields> {}

const functionCallFields = {
  type: Schema.Literal("function_call"),
  id: nullish(Schema.String),
  call_id: Schema.String,
  name: Schema.String,
  arguments: Schema.String,
  status: nullish(Schema.String)
}

/**
 * A function call item, written by hand or exactly as returned (`id`, `status`, kept keys). Sent: `type`, `id`,
 * `call_id`, `name`, `arguments`, `status`; null fields and other keys are not sent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseInputFunctionCall: Schema.Schema<ResponseInputFunctionCall> = Schema.Struct(
  functionCallFields,
  UnknownRecord
) as unknown as Schema.Schema<ResponseInputFunctionCall>

/**
 * @since 0.1.0
 * @category models
 */
export interface ResponseInputFunctionCall extends Schema.Struct.Type<typeof functionCallFields> {}

/**
 * A function call's result (`output` as text or parts). Sent as given, without its null fields.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseInputFunctionCallOutput = Schema.Struct({
  type: Schema.Literal("function_call_output"),
  id: nullish(Schema.String),
  call_id: Schema.String,
  output: Schema.Union(Schema.String, Schema.Array(ResponseInputPart)),
  status: nullish(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ResponseInputFunctionCallOutput extends Schema.Schema.Type<typeof ResponseInputFunctionCallOutput> {}

const reasoningFields = {
  type: Schema.Literal("reasoning"),
  id: Schema.optional(Schema.String),
  summary: nullish(Schema.Array(Schema.Unknown)),
  content: nullish(Schema.Array(ResponseInputPart)),
  encrypted_content: nullish(Schema.String),
  status: nullish(Schema.String)
}

/**
 * A reasoning item, exactly as returned. Sent: `type`, `id`, `summary` (`[]` when missing: the OpenAI types and
 * vLLM require it), `content`, and `encrypted_content` and `status` when set; null fields and other keys are not
 * sent (vLLM rejects a non-null `encrypted_content`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseInputReasoning: Schema.Schema<ResponseInputReasoning> = Schema.Struct(
  reasoningFields,
  UnknownRecord
) as unknown as Schema.Schema<ResponseInputReasoning>

/**
 * @since 0.1.0
 * @category models
 */
export interface ResponseInputReasoning extends Schema.Struct.Type<typeof reasoningFields> {}

/**
 * A reference to an earlier item by id (openai-node's `ItemReference`; needs a server with a response store).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseInputItemReference = Schema.Struct({ type: Schema.Literal("item_reference"), id: Schema.String })

const modelledItemTypes = new Set(["message", "function_call", "function_call_output", "reasoning", "item_reference"])

/**
 * An item of another type (built-in tool calls and their outputs, …), sent as given.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseInputOtherItem = Schema.Struct({
  type: Schema.String.pipe(Schema.filter((type) => !modelledItemTypes.has(type)))
}, UnknownRecord)

/**
 * An input item, picked by its `type` (a message when there is none): every output item the SDK decodes is a
 * valid input item as it is, so `[...input, ...response.output, functionCallOutput]` is the next call's `input`.
 * An invalid item is reported with its index and the problem of the item type it has.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseInputItem = keyedUnion<{
  message: typeof ResponseInputMessage
  function_call: typeof ResponseInputFunctionCall
  function_call_output: typeof ResponseInputFunctionCallOutput
  reasoning: typeof ResponseInputReasoning
  item_reference: typeof ResponseInputItemReference
}, ResponseInputItem>({
  key: "type",
  members: {
    message: ResponseInputMessage,
    function_call: ResponseInputFunctionCall,
    function_call_output: ResponseInputFunctionCallOutput,
    reasoning: ResponseInputReasoning,
    item_reference: ResponseInputItemReference
  },
  byDefault: "message",
  fallback: ResponseInputOtherItem,
  expected: "an input item (an object)"
})

/**
 * @since 0.1.0
 * @category models
 */
export type ResponseInputItem =
  | ResponseInputMessage
  | ResponseInputFunctionCall
  | ResponseInputFunctionCallOutput
  | ResponseInputReasoning
  | typeof ResponseInputItemReference.Type
  | typeof ResponseInputOtherItem.Type
  | ResponseOutputItem

/**
 * A function tool. Responses tools are flat (no nested `function` object).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseTool = Schema.Struct({
  type: Schema.Literal("function"),
  name: Schema.String.pipe(Schema.nonEmptyString()),
  description: Schema.String.pipe(Schema.nonEmptyString({ message: () => "a tool needs a non-empty description" })),
  parameters: Schema.optional(JsonObject),
  strict: Schema.optional(Schema.Boolean)
})

/**
 * The body of `responses.create` and `responses.stream` (`stream` is set by the method). `input` items are sent as
 * each item schema documents (null fields and output-only keys dropped).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseCreateParams = Schema.Struct({
  /** Optional when the layer has a default model (`model`, `TENSORMESH_MODEL`). */
  model: Schema.optional(Schema.String.pipe(Schema.nonEmptyString())),
  input: stringOr(
    Schema.Array(ResponseInputItem).annotations({ message: () => "Expected a list of input items" })
      .pipe(Schema.minItems(1)),
    "a string or a list of input items"
  ),
  instructions: Schema.optional(Schema.NullOr(Schema.String)),
  max_output_tokens: Schema.optional(Schema.NullOr(PositiveInt)),
  temperature: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.between(0, 2)))),
  top_p: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.between(0, 1)))),
  top_logprobs: Schema.optional(Schema.NullOr(NonNegativeInt)),
  tools: Schema.optional(Schema.Array(ResponseTool)),
  tool_choice: Schema.optional(Schema.Union(
    Schema.Literal("none", "auto", "required"),
    Schema.Struct({ type: Schema.Literal("function"), name: Schema.String })
  )),
  parallel_tool_calls: Schema.optional(Schema.Boolean),
  text: Schema.optional(Schema.Struct({
    format: Schema.Struct({
      type: Schema.Literal("text", "json_object").annotations({
        message: () => ({
          message: "must be \"json_object\" or \"text\" (json_schema is not supported on this surface)",
          override: true
        })
      })
    })
  })),
  reasoning: Schema.optional(Schema.Struct({
    effort: Schema.optional(Schema.NullOr(Schema.String)),
    summary: Schema.optional(Schema.NullOr(Schema.String))
  })),
  truncation: Schema.optional(Schema.Literal("auto", "disabled")),
  metadata: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  user: Schema.optional(Schema.String),
  seed: Schema.optional(Schema.NullOr(Int)),
  extraBody: Schema.optional(JsonObject)
}).annotations({ [WireEncodingId]: responseRequestWire })

/**
 * @since 0.1.0
 * @category models
 */
export interface ResponseCreateParams extends Schema.Schema.Type<typeof ResponseCreateParams> {}

// ---------------------------------------------------------------------------------------------------------------
// response
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category schemas
 */
export const OutputText = Schema.Struct({
  type: Schema.Literal("output_text"),
  text: Schema.String,
  annotations: nullish(Schema.Array(Schema.Unknown)),
  logprobs: nullish(Schema.Array(Schema.Unknown))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ReasoningText = Schema.Struct({ type: Schema.Literal("reasoning_text"), text: Schema.String })

/**
 * A content part of another type, kept as sent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OtherPart = Schema.Struct({ type: Schema.String }, UnknownRecord)

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResponseMessageItem = Schema.Struct({
  type: Schema.Literal("message"),
  id: Schema.String,
  role: Schema.String,
  status: nullish(Schema.String),
  content: Schema.Array(Schema.Union(OutputText, OtherPart))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResponseReasoningItem = Schema.Struct({
  type: Schema.Literal("reasoning"),
  id: Schema.String,
  content: nullish(Schema.Array(Schema.Union(ReasoningText, OtherPart))),
  summary: nullish(Schema.Array(Schema.Unknown)),
  status: nullish(Schema.String)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResponseFunctionCallItem = Schema.Struct({
  type: Schema.Literal("function_call"),
  id: nullish(Schema.String),
  call_id: Schema.String,
  name: Schema.String,
  arguments: Schema.String,
  status: nullish(Schema.String)
})

/**
 * An output item of a type the SDK does not model (built-in tool calls, …), kept as sent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseOtherItem = Schema.Struct({ type: Schema.String }, UnknownRecord)

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResponseOutputItem = Schema.Union(
  ResponseMessageItem,
  ResponseReasoningItem,
  ResponseFunctionCallItem,
  ResponseOtherItem
)

/**
 * @since 0.1.0
 * @category models
 */
export type ResponseOutputItem = Schema.Schema.Type<typeof ResponseOutputItem>

/**
 * Usage as sent: chat-style (`prompt_tokens`, `completion_tokens`) as Tensormesh documents, or native
 * (`input_tokens`, `output_tokens`). The decoded response always has `input_tokens`, `output_tokens` and
 * `total_tokens` filled from either.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseUsageWire = Schema.Struct({
  input_tokens: Schema.optional(NonNegativeInt),
  output_tokens: Schema.optional(NonNegativeInt),
  total_tokens: Schema.optional(NonNegativeInt),
  prompt_tokens: Schema.optional(NonNegativeInt),
  completion_tokens: Schema.optional(NonNegativeInt),
  input_tokens_details: nullish(UnknownRecord),
  output_tokens_details: nullish(UnknownRecord),
  prompt_tokens_details: nullish(UnknownRecord)
})

const normaliseUsage = (u: typeof ResponseUsageWire.Type) => {
  const input = u.input_tokens ?? u.prompt_tokens ?? 0
  const output = u.output_tokens ?? u.completion_tokens ?? 0
  return { ...u, input_tokens: input, output_tokens: output, total_tokens: u.total_tokens ?? input + output }
}

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResponseUsage = Schema.transform(
  ResponseUsageWire,
  Schema.typeSchema(Schema.Struct({
    ...ResponseUsageWire.fields,
    input_tokens: NonNegativeInt,
    output_tokens: NonNegativeInt,
    total_tokens: NonNegativeInt
  })),
  { strict: true, decode: normaliseUsage, encode: (u) => u }
)

/**
 * @since 0.1.0
 * @category models
 */
export interface ResponseUsage extends Schema.Schema.Type<typeof ResponseUsage> {}

/**
 * The response object. `output_text` is built client-side from the `output_text` parts of the message items.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseWire = Schema.Struct({
  id: Schema.String,
  object: Schema.optional(Schema.String),
  created_at: Schema.Number,
  status: Schema.String,
  model: Schema.String,
  output: Schema.Array(ResponseOutputItem),
  usage: nullish(ResponseUsage),
  incomplete_details: nullish(UnknownRecord),
  error: nullish(Schema.Unknown)
})

const outputText = (output: ReadonlyArray<ResponseOutputItem>): string => {
  let text = ""
  for (const item of output) {
    if (item.type === "message" && Array.isArray(item.content)) {
      for (const part of item.content as ReadonlyArray<{ readonly type: string; readonly text?: unknown }>) {
        if (part.type === "output_text" && typeof part.text === "string") text += part.text
      }
    }
  }
  return text
}

/**
 * The response object, with `output_text` (the concatenated text of every `output_text` part) built
 * client-side, since servers do not send it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Response = Schema.transform(
  ResponseWire,
  Schema.typeSchema(Schema.Struct({ ...ResponseWire.fields, output_text: Schema.String })),
  {
    strict: true,
    decode: (response) => ({ ...response, output_text: outputText(response.output) }),
    encode: ({ output_text: _, ...response }) => response
  }
)

/**
 * @since 0.1.0
 * @category models
 */
export interface Response extends Schema.Schema.Type<typeof Response> {}

// ---------------------------------------------------------------------------------------------------------------
// stream events
// ---------------------------------------------------------------------------------------------------------------

const seq = { sequence_number: Schema.optional(Schema.Number) }
const at = { item_id: Schema.optional(Schema.String), output_index: NonNegativeInt }

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResponseLifecycleEvent = Schema.Struct({
  type: Schema.Literal(
    "response.created",
    "response.in_progress",
    "response.completed",
    "response.incomplete",
    "response.failed"
  ),
  ...seq,
  response: Response
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResponseOutputItemEvent = Schema.Struct({
  type: Schema.Literal("response.output_item.added", "response.output_item.done"),
  ...seq,
  output_index: NonNegativeInt,
  item: ResponseOutputItem
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResponsePartEvent = Schema.Struct({
  type: Schema.Literal(
    "response.content_part.added",
    "response.content_part.done",
    "response.reasoning_part.added",
    "response.reasoning_part.done"
  ),
  ...seq,
  ...at,
  content_index: Schema.optional(NonNegativeInt),
  part: Schema.Struct({ type: Schema.String }, UnknownRecord)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResponseTextDeltaEvent = Schema.Struct({
  type: Schema.Literal(
    "response.output_text.delta",
    "response.reasoning_text.delta",
    "response.function_call_arguments.delta"
  ),
  ...seq,
  ...at,
  content_index: Schema.optional(NonNegativeInt),
  delta: Schema.String
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResponseTextDoneEvent = Schema.Struct({
  type: Schema.Literal("response.output_text.done", "response.reasoning_text.done"),
  ...seq,
  ...at,
  content_index: Schema.optional(NonNegativeInt),
  text: Schema.String
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResponseFunctionCallArgumentsDoneEvent = Schema.Struct({
  type: Schema.Literal("response.function_call_arguments.done"),
  ...seq,
  ...at,
  arguments: Schema.String,
  name: Schema.optional(Schema.String)
})

/**
 * An event type the SDK does not model (keep-alives, built-in tool events, …): its name and payload.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseUnknownEvent {
  readonly type: "unknown"
  readonly event: string
  readonly data: unknown
}

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResponseKnownEvent = Schema.Union(
  ResponseLifecycleEvent,
  ResponseOutputItemEvent,
  ResponsePartEvent,
  ResponseTextDeltaEvent,
  ResponseTextDoneEvent,
  ResponseFunctionCallArgumentsDoneEvent
)

/**
 * One event of a Responses stream.
 *
 * @since 0.1.0
 * @category models
 */
export type ResponseStreamEvent = Schema.Schema.Type<typeof ResponseKnownEvent> | ResponseUnknownEvent
