/**
 * Schema-typed tools: `ChatTool.make` gives the wire tool definition (its `parameters` the JSON Schema of an Effect
 * `Schema`) and a decoder for the arguments of a tool call the model returns.
 *
 * @example
 * ```ts
 * import { ChatTool, TensormeshTest } from "@tensormesh-effect/core"
 * import { Effect, Schema } from "effect"
 *
 * const weather = ChatTool.make({
 *   name: "weather",
 *   description: "The weather in a city",
 *   parameters: Schema.Struct({ city: Schema.String })
 * })
 *
 * const completion = TensormeshTest.chatCompletion({ toolCalls: [{ name: "weather", arguments: { city: "Paris" } }] })
 * const call = completion.choices[0].message.tool_calls![0]
 * const args = Effect.runSync(weather.decode(call))
 * assert.strictEqual(args.city, "Paris")
 * assert.strictEqual(weather.definition.function.name, "weather")
 * ```
 *
 * @since 0.2.0
 */
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import type * as Chat from "./ChatCompletion.js"
import { decodeJsonText, jsonSchemaOf } from "./internal/structured.js"
import type { UpstreamError } from "./TensormeshError.js"

/**
 * A tool the model may call, typed by the schema of its arguments.
 *
 * @since 0.2.0
 * @category models
 */
export interface ChatTool<A, I = A, R = never> {
  readonly name: string
  /** The tool definition to put in a request's `tools`. */
  readonly definition: Chat.ChatTool
  readonly parameters: Schema.Schema<A, I, R>
  /**
   * Decodes the arguments of a tool call (or its `arguments` text): `UpstreamError` `InvalidOutput` (not
   * retryable, with `issues` and the text) when they are not JSON or do not match `parameters`.
   */
  readonly decode: (call: Chat.ToolCall | string) => Effect.Effect<A, UpstreamError, R>
}

/**
 * @since 0.2.0
 * @category constructors
 */
export const make = <A, I, R = never>(options: {
  readonly name: string
  readonly description: string
  readonly parameters: Schema.Schema<A, I, R>
  readonly strict?: boolean | undefined
}): ChatTool<A, I, R> => {
  const decode = decodeJsonText(options.parameters, `the arguments of tool ${options.name}`)
  return {
    name: options.name,
    parameters: options.parameters,
    definition: {
      type: "function",
      function: {
        name: options.name,
        description: options.description,
        parameters: jsonSchemaOf(options.parameters),
        ...(options.strict === undefined ? {} : { strict: options.strict })
      }
    },
    decode: (call) => decode(typeof call === "string" ? call : call.function.arguments)
  }
}
