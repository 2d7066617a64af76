/**
 * Schemas of `POST /v1/responses`: the request, the response object and the stream events.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Int, JsonObject, NonNegativeInt, nullish, PositiveInt, UnknownRecord } from "./internal/schema.js"

// ---------------------------------------------------------------------------------------------------------------
// request
// ---------------------------------------------------------------------------------------------------------------

/**
 * An input item: a message (`{ role, content }`, with or without `type: "message"`), a function call, a function
 * call's output, or any other item type, passed through.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseInputItem = Schema.Union(
  Schema.Struct({
    type: Schema.optional(Schema.Literal("message")),
    role: Schema.Literal("system", "developer", "user", "assistant"),
    content: Schema.Union(Schema.String, Schema.Array(Schema.Struct({ type: Schema.String }, UnknownRecord)))
  }),
  Schema.Struct({
    type: Schema.Literal("function_call"),
    call_id: Schema.String,
    name: Schema.String,
    arguments: Schema.String
  }),
  Schema.Struct({
    type: Schema.Literal("function_call_output"),
    call_id: Schema.String,
    output: Schema.String
  }),
  Schema.Struct({ type: Schema.Literal("reasoning") }, UnknownRecord)
)

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
 * @since 0.1.0
 * @category schemas
 */
export const ResponseCreateParams = Schema.Struct({
  model: Schema.String.pipe(Schema.nonEmptyString()),
  input: Schema.Union(Schema.String, Schema.Array(ResponseInputItem).pipe(Schema.minItems(1))),
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
})

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
