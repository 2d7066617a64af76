/**
 * `TensormeshTest`: the service without HTTP, for testing code written against `Serverless`, `OnDemand` or
 * `Tensormesh`. Give the methods your code calls as handlers shaped like the service; requests still pass the real
 * request checks (schema, `stream` flag, `extraBody`), so a test fails where production would. A method without a
 * handler dies with a defect naming it. A `create` handler of `chat.completions`, `completions` or `responses` also
 * serves `stream`, `openStream`, `withRawResponse.create` and `withStreamingResponse.create` (chunks derived from
 * its answer), unless those have handlers of their own.
 *
 * @example
 * ```ts
 * import { ChatStream, Tensormesh, TensormeshTest } from "@tensormesh-effect/core"
 * import { Effect, Stream } from "effect"
 *
 * const Fake = TensormeshTest.layer({
 *   chat: {
 *     completions: {
 *       create: (request) => Effect.succeed(TensormeshTest.chatCompletion(`echo: ${request.messages.length}`))
 *     }
 *   }
 * })
 *
 * const program = Effect.gen(function*() {
 *   const tm = yield* Tensormesh
 *   const request = { model: "m", messages: [{ role: "user" as const, content: "hi" }] }
 *   const whole = yield* tm.chat.completions.create(request)
 *   const streamed = yield* tm.chat.completions.stream(request).pipe(ChatStream.textDeltas, Stream.mkString)
 *   return [whole.choices[0].message.content, streamed]
 * })
 *
 * assert.deepStrictEqual(Effect.runSync(program.pipe(Effect.provide(Fake))), ["echo: 1", "echo: 1"])
 * ```
 *
 * @since 0.2.0
 */
import type * as Duration from "effect/Duration"
import type * as Layer from "effect/Layer"
import type * as Chat from "./ChatCompletion.js"
import type * as Completions from "./Completion.js"
import type { InferenceClient } from "./InferenceClient.js"
import * as internal from "./internal/testing.js"
import type { OnDemand } from "./OnDemand.js"
import type * as Responses from "./Responses.js"
import type { Serverless } from "./Serverless.js"
import type { Tensormesh } from "./Tensormesh.js"
import { AuthError, UpstreamError, ValidationError, type ValidationIssue } from "./TensormeshError.js"

/**
 * Every method and namespace of `T` optional, recursively.
 *
 * @since 0.2.0
 * @category models
 */
export type PartialDeep<T> = {
  readonly [K in keyof T]?: T[K] extends (...args: ReadonlyArray<any>) => any ? T[K] : PartialDeep<T[K]>
}

/**
 * Handlers shaped like the service: any subset of its namespaces and methods, each with the method's own signature
 * (e.g. `{ chat: { completions: { create } } }`).
 *
 * @since 0.2.0
 * @category models
 */
export type Handlers = { readonly [K in Exclude<keyof InferenceClient, "surface">]?: PartialDeep<InferenceClient[K]> }

/**
 * @since 0.2.0
 * @category models
 */
export interface LayerOptions {
  /** What `surface` says (default `"serverless"`). */
  readonly surface?: "serverless" | "on-demand" | undefined
}

/**
 * `Serverless`, `OnDemand` and `Tensormesh`, all served by `handlers`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer: (handlers: Handlers, options?: LayerOptions) => Layer.Layer<Serverless | OnDemand | Tensormesh> =
  internal.layer

/**
 * Options of the builders: the `model` (default `"test-model"`), the `id`, and the prompt's token count for `usage`.
 *
 * @since 0.2.0
 * @category models
 */
export interface BuildOptions {
  readonly model?: string | undefined
  readonly id?: string | undefined
  readonly promptTokens?: number | undefined
}

/**
 * A tool call for {@link chatCompletion}: `arguments` as a JSON string, or a value to serialise.
 *
 * @since 0.2.0
 * @category models
 */
export interface ToolCallInput {
  readonly name: string
  /** The arguments: a JSON string as the model sends it, or a value to serialise. */
  readonly arguments: unknown
  readonly id?: string | undefined
}

/**
 * A chat completion answering `content`, or calling tools (`finish_reason` `"tool_calls"`), with usage.
 *
 * @since 0.2.0
 * @category builders
 */
export const chatCompletion: (
  content: string | { readonly content?: string | undefined; readonly toolCalls: ReadonlyArray<ToolCallInput> },
  options?: BuildOptions
) => Chat.ChatCompletion = internal.chatCompletion

/**
 * The stream chunks of a text answer in `pieces`: the role, a delta per piece, the finish reason, the usage.
 *
 * @since 0.2.0
 * @category builders
 */
export const chatChunks: (pieces: ReadonlyArray<string>, options?: BuildOptions) => Array<Chat.ChatCompletionChunk> =
  internal.chatChunks

/**
 * The stream chunks of a chat completion (what a `create` handler's answer streams as).
 *
 * @since 0.2.0
 * @category builders
 */
export const chatChunksOf: (completion: Chat.ChatCompletion) => Array<Chat.ChatCompletionChunk> = internal.chatChunksOf

/**
 * A text completion (`POST /v1/completions`) answering `text`.
 *
 * @since 0.2.0
 * @category builders
 */
export const completion: (text: string, options?: BuildOptions) => Completions.Completion = internal.completion

/**
 * A Responses API response with one message answering `text`.
 *
 * @since 0.2.0
 * @category builders
 */
export const response: (text: string, options?: BuildOptions) => Responses.Response = internal.response

/**
 * The stream events of a response (`response.created`, text deltas, `response.completed`).
 *
 * @since 0.2.0
 * @category builders
 */
export const responseEventsOf: (response: Responses.Response) => Array<Responses.ResponseStreamEvent> =
  internal.responseEventsOf

/**
 * An `AuthError` as the server gives it (default `Unauthorized`, HTTP 401).
 *
 * @since 0.2.0
 * @category builders
 */
export const authError = (reason: AuthError["reason"] = "Unauthorized"): AuthError =>
  new AuthError({
    reason,
    retryable: false,
    ...(reason === "MissingApiKey" ? {} : { status: reason === "Unauthorized" ? 401 : 403 }),
    detail: reason === "MissingApiKey" ? "no API key" : "Invalid API key"
  })

const validationStatus: Record<ValidationError["reason"], number | undefined> = {
  InvalidRequest: undefined,
  InvalidConfig: undefined,
  BadRequest: 400,
  NotFound: 404,
  PayloadTooLarge: 413,
  UnprocessableEntity: 422
}

/**
 * A `ValidationError` (default `BadRequest`, HTTP 400) with its `issues`.
 *
 * @since 0.2.0
 * @category builders
 */
export const validationError = (
  options?: { readonly reason?: ValidationError["reason"]; readonly issues?: ReadonlyArray<ValidationIssue> }
): ValidationError => {
  const reason = options?.reason ?? "BadRequest"
  const issues = options?.issues ?? []
  const status = validationStatus[reason]
  return new ValidationError({
    reason,
    retryable: false,
    issues,
    ...(status === undefined ? {} : { status }),
    detail: issues.length === 0
      ? "the request was rejected"
      : issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")
  })
}

const upstreamStatus: Partial<Record<UpstreamError["reason"], number>> = {
  RateLimited: 429,
  Unavailable: 503,
  ServerError: 500
}

/**
 * An `UpstreamError` (default `RateLimited`, HTTP 429), retryable as the SDK would say.
 *
 * @since 0.2.0
 * @category builders
 */
export const upstreamError = (
  reason: UpstreamError["reason"] = "RateLimited",
  options?: { readonly retryAfter?: Duration.Duration | undefined }
): UpstreamError => {
  const status = upstreamStatus[reason]
  return new UpstreamError({
    reason,
    retryable: !["InvalidResponse", "EventTooLarge", "ResponseTooLarge"].includes(reason),
    ...(status === undefined ? {} : { status }),
    ...(options?.retryAfter === undefined ? {} : { retryAfter: options.retryAfter }),
    detail: `a test ${reason}`
  })
}
