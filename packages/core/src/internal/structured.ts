import * as Effect from "effect/Effect"
import * as JSONSchema from "effect/JSONSchema"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Chat from "../ChatCompletion.js"
import type { CallOptions } from "../ClientOptions.js"
import type { ParsedChatCompletion, ParseOptions } from "../InferenceClient.js"
import { type TensormeshError, UpstreamError } from "../TensormeshError.js"
import { issuesOf } from "./endpoint.js"
import { boundText } from "./errors.js"

// Typed model output: JSON content decoded with a Schema (`chat.completions.parse`), and tools whose parameters are a
// Schema (`ChatTool.make`). Output that is not JSON or does not match is `UpstreamError` `InvalidOutput`.

/** How much of the model's text an `InvalidOutput` error keeps. */
const MAX_OUTPUT_TEXT = 2000

/** @internal */
export const invalidOutput = (
  what: string,
  text: string,
  error?: ParseResult.ParseError
): UpstreamError => {
  const found = error === undefined ? undefined : issuesOf(error)
  return new UpstreamError({
    reason: "InvalidOutput",
    retryable: false,
    detail: found === undefined ? what : `${what}: ${found.text}`,
    body: boundText(text, MAX_OUTPUT_TEXT),
    ...(found === undefined ? {} : { issues: found.issues }),
    ...(error === undefined ? {} : { cause: error })
  })
}

/**
 * Decodes a JSON text with `schema`: `InvalidOutput` when it is not JSON or does not match.
 *
 * @internal
 */
export const decodeJsonText = <A, I, R>(
  schema: Schema.Schema<A, I, R>,
  what: string
) => {
  const decode = Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "ignore" })
  return (text: string): Effect.Effect<A, UpstreamError, R> => {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return Effect.fail(invalidOutput(`${what} is not JSON`, text))
    }
    return Effect.mapError(decode(json), (error) => invalidOutput(`${what} does not match its schema`, text, error))
  }
}

/**
 * The JSON Schema of `schema`, without the `$schema` key (what a tool's `parameters` or a prompt hint wants).
 *
 * @internal
 */
export const jsonSchemaOf = <A, I, R>(schema: Schema.Schema<A, I, R>): Record<string, unknown> => {
  const { $schema: _, ...rest } = JSONSchema.make(schema as Schema.Schema<A, I>) as unknown as Record<string, unknown>
  return rest
}

/**
 * `chat.completions.parse` over a `create`.
 *
 * @internal
 */
export const parseWith = (
  create: (request: Chat.ChatCompletionCreateParams, options?: CallOptions) => Effect.Effect<
    Chat.ChatCompletion,
    TensormeshError
  >
) =>
<A, I, R>(
  request: Chat.ChatCompletionCreateParams,
  schema: Schema.Schema<A, I, R>,
  options?: ParseOptions
): Effect.Effect<ParsedChatCompletion<A>, TensormeshError, R> => {
  const decode = decodeJsonText(schema, "the model's content")
  const { schemaHint, ...callOptions } = options ?? {}
  const hinted: Chat.ChatCompletionCreateParams = {
    ...request,
    response_format: { type: "json_object" },
    messages: schemaHint === true
      ? [
        {
          role: "system",
          content: `Answer with one JSON value only, matching this JSON Schema:\n${
            JSON.stringify(jsonSchemaOf(schema))
          }`
        },
        ...request.messages
      ]
      : request.messages
  }
  return Effect.flatMap(
    create(hinted, options === undefined ? undefined : callOptions),
    (completion) =>
      Effect.map(
        Effect.forEach(completion.choices, (choice) =>
          choice.message.content === null
            ? Effect.fail(invalidOutput("the model's content is empty", ""))
            : Effect.map(decode(choice.message.content), (parsed) => ({
              ...choice,
              message: { ...choice.message, parsed }
            }))),
        (choices): ParsedChatCompletion<A> => ({ ...completion, choices })
      )
  )
}
