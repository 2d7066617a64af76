/**
 * Request body schemas of the local server, and their decoding into 400 errors.
 *
 * Unknown keys are ignored, as vLLM does; a `null` optional key counts as absent.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { type ApiFailure, badRequest } from "./errors.js"

const nullable = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { nullable: true })

const PositiveInt = Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))

/** @internal */
export const ContentPart = Schema.Struct({
  type: Schema.String,
  text: Schema.optional(Schema.String)
})

/** @internal */
export const Content = Schema.Union(Schema.String, Schema.Array(ContentPart))

/** @internal */
export type Content = typeof Content.Type

/** @internal */
export const ChatMessage = Schema.Struct({
  role: Schema.Literal("system", "developer", "user", "assistant", "tool", "function"),
  content: nullable(Content),
  name: nullable(Schema.String),
  tool_calls: nullable(Schema.Array(Schema.Unknown)),
  tool_call_id: nullable(Schema.String),
  reasoning: nullable(Schema.String)
})

/** @internal */
export type ChatMessage = typeof ChatMessage.Type

/** @internal */
export const ChatTool = Schema.Struct({
  type: Schema.Literal("function"),
  function: Schema.Struct({
    name: Schema.String,
    description: nullable(Schema.String),
    parameters: nullable(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
    strict: nullable(Schema.Boolean)
  })
})

/** @internal */
export type ChatTool = typeof ChatTool.Type

const ToolChoiceMode = Schema.Literal("none", "auto", "required")

/** @internal */
export const ChatToolChoice = Schema.Union(
  ToolChoiceMode,
  Schema.Struct({ type: Schema.Literal("function"), function: Schema.Struct({ name: Schema.String }) })
)

const JsonSchemaFormat = Schema.Struct({
  name: Schema.String,
  description: nullable(Schema.String),
  schema: nullable(Schema.Unknown),
  strict: nullable(Schema.Boolean)
})

/** @internal */
export const ResponseFormat = Schema.Union(
  Schema.Struct({ type: Schema.Literal("text") }),
  Schema.Struct({ type: Schema.Literal("json_object") }),
  Schema.Struct({ type: Schema.Literal("json_schema"), json_schema: JsonSchemaFormat })
)

/** @internal */
export type ResponseFormat = typeof ResponseFormat.Type

/** @internal */
export const StreamOptions = Schema.Struct({
  include_usage: nullable(Schema.Boolean),
  continuous_usage_stats: nullable(Schema.Boolean)
})

const Stop = Schema.Union(Schema.String, Schema.Array(Schema.String))

/** Sampling numbers: their ranges are vLLM's checks (`sampling.ts`), with its messages. */
const sampling = {
  model: Schema.String,
  temperature: nullable(Schema.Number),
  top_p: nullable(Schema.Number),
  top_k: nullable(Schema.Int),
  min_p: nullable(Schema.Number),
  presence_penalty: nullable(Schema.Number),
  frequency_penalty: nullable(Schema.Number),
  repetition_penalty: nullable(Schema.Number),
  min_tokens: nullable(Schema.Int),
  n: nullable(PositiveInt.pipe(Schema.lessThanOrEqualTo(128))),
  stop: nullable(Stop),
  seed: nullable(Schema.Int),
  stream: nullable(Schema.Boolean),
  stream_options: nullable(StreamOptions),
  response_format: nullable(ResponseFormat),
  return_token_ids: nullable(Schema.Boolean)
}

/** @internal */
export const ChatRequest = Schema.Struct({
  ...sampling,
  messages: Schema.Array(ChatMessage),
  max_tokens: nullable(PositiveInt),
  max_completion_tokens: nullable(PositiveInt),
  tools: nullable(Schema.Array(ChatTool)),
  tool_choice: nullable(ChatToolChoice),
  parallel_tool_calls: nullable(Schema.Boolean),
  logprobs: nullable(Schema.Boolean),
  top_logprobs: nullable(Schema.Int.pipe(Schema.greaterThanOrEqualTo(0))),
  add_generation_prompt: nullable(Schema.Boolean),
  continue_final_message: nullable(Schema.Boolean),
  include_reasoning: nullable(Schema.Boolean)
})

/** @internal */
export type ChatRequest = typeof ChatRequest.Type

/** @internal */
export const CompletionRequest = Schema.Struct({
  ...sampling,
  prompt: Schema.Union(
    Schema.String,
    Schema.NonEmptyArray(Schema.String),
    Schema.NonEmptyArray(Schema.Int),
    Schema.NonEmptyArray(Schema.NonEmptyArray(Schema.Int))
  ),
  max_tokens: nullable(PositiveInt),
  suffix: Schema.optional(Schema.Unknown),
  echo: nullable(Schema.Boolean),
  logprobs: nullable(Schema.Int)
})

/** @internal */
export type CompletionRequest = typeof CompletionRequest.Type

/** @internal */
export const ResponsesTool = Schema.Struct({
  type: Schema.Literal("function"),
  name: Schema.String,
  description: nullable(Schema.String),
  parameters: nullable(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  strict: nullable(Schema.Boolean)
})

/** @internal */
export type ResponsesTool = typeof ResponsesTool.Type

/** @internal */
export const ResponsesInputItem = Schema.Struct({
  type: nullable(Schema.String),
  role: nullable(Schema.String),
  content: nullable(Schema.Unknown),
  call_id: nullable(Schema.String),
  name: nullable(Schema.String),
  arguments: nullable(Schema.String),
  output: nullable(Schema.Unknown)
})

/** @internal */
export type ResponsesInputItem = typeof ResponsesInputItem.Type

/** @internal */
export const ResponsesTextFormat = Schema.Union(
  Schema.Struct({ type: Schema.Literal("text") }),
  Schema.Struct({ type: Schema.Literal("json_object") }),
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    name: Schema.String,
    description: nullable(Schema.String),
    schema: nullable(Schema.Unknown),
    strict: nullable(Schema.Boolean)
  })
)

/** @internal */
export const ResponsesRequest = Schema.Struct({
  model: Schema.String,
  input: Schema.Union(Schema.String, Schema.Array(ResponsesInputItem)),
  instructions: nullable(Schema.String),
  max_output_tokens: nullable(PositiveInt),
  temperature: nullable(Schema.Number),
  top_p: nullable(Schema.Number),
  stream: nullable(Schema.Boolean),
  tools: nullable(Schema.Array(ResponsesTool)),
  tool_choice: nullable(
    Schema.Union(ToolChoiceMode, Schema.Struct({ type: Schema.Literal("function"), name: Schema.String }))
  ),
  parallel_tool_calls: nullable(Schema.Boolean),
  text: nullable(Schema.Struct({ format: nullable(ResponsesTextFormat) })),
  reasoning: nullable(Schema.Struct({ effort: nullable(Schema.String), summary: nullable(Schema.String) })),
  metadata: nullable(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  user: nullable(Schema.String),
  store: nullable(Schema.Boolean),
  background: nullable(Schema.Boolean),
  previous_response_id: nullable(Schema.String),
  prompt: Schema.optional(Schema.Unknown),
  request_id: nullable(Schema.String),
  stop: nullable(Stop)
})

/** @internal */
export type ResponsesRequest = typeof ResponsesRequest.Type

const tokenizeOptions = {
  model: Schema.String,
  add_special_tokens: nullable(Schema.Boolean),
  return_token_strs: nullable(Schema.Boolean)
}

/** @internal */
export const TokenizePromptRequest = Schema.Struct({ ...tokenizeOptions, prompt: Schema.String })

/** @internal */
export const TokenizeMessagesRequest = Schema.Struct({
  ...tokenizeOptions,
  messages: Schema.Array(ChatMessage),
  add_generation_prompt: nullable(Schema.Boolean),
  continue_final_message: nullable(Schema.Boolean),
  tools: nullable(Schema.Array(ChatTool))
})

/** @internal */
export const DetokenizeRequest = Schema.Struct({ model: Schema.String, tokens: Schema.Array(Schema.Int) })

const describeIssues = (error: ParseResult.ParseError): ApiFailure => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const first = issues[0]
  const path = (issue: typeof issues[number]) => issue.path.map(String).join(".")
  const message = issues
    .slice(0, 5)
    .map((issue) => issue.path.length > 0 ? `${path(issue)}: ${issue.message}` : issue.message)
    .join("; ")
  return badRequest(message, first === undefined || first.path.length === 0 ? null : path(first))
}

/**
 * Decodes a JSON body with a request schema; failures become 400 `BadRequestError` bodies.
 *
 * @internal
 */
export const decodeBody = <A, I>(schema: Schema.Schema<A, I>, body: unknown): Effect.Effect<A, ApiFailure> =>
  Schema.decodeUnknown(schema, { errors: "all" })(body).pipe(Effect.mapError(describeIssues))
