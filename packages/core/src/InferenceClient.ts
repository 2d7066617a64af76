/**
 * The shape both surfaces share: eight namespaces (`chat.completions`, `completions`, `responses`, `models`,
 * `tokenize`, `detokenize`, `health`, `version`), each method an `Effect` and each stream a `Stream`.
 *
 * @since 0.1.0
 */
import type * as Headers from "@effect/platform/Headers"
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  ChatCompletionMessage
} from "./ChatCompletion.js"
import type { CallOptions } from "./ClientOptions.js"
import type { Completion, CompletionChunk, CompletionCreateParams } from "./Completion.js"
import type { ModelList } from "./Model.js"
import type { Response, ResponseCreateParams, ResponseStreamEvent } from "./Responses.js"
import type { Health, Version } from "./ServerInfo.js"
import type { TensormeshError, UpstreamError } from "./TensormeshError.js"
import type { DetokenizeParams, DetokenizeResult, TokenizeParams, TokenizeResult } from "./Tokenize.js"

/**
 * A response as it came: status, headers and the unwrapped JSON payload; `parse` decodes it into the SDK's value.
 *
 * @since 0.1.0
 * @category models
 */
export interface RawResponse<A> {
  readonly status: number
  readonly headers: Headers.Headers
  /** `x-request-id` when the server sent one. */
  readonly requestId: string | undefined
  /** The JSON body as sent (`undefined` for an empty body). */
  readonly json: unknown
  /** The body decoded by the SDK's schema (and normalised, like `create`'s result). */
  readonly parse: Effect.Effect<A, UpstreamError>
}

/**
 * A streaming response as it came: status, headers, and the raw SSE lines (blank separator lines included).
 * Available inside a `Scope`; closing the scope, or interrupting, aborts the request.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamingResponse {
  readonly status: number
  readonly headers: Headers.Headers
  readonly requestId: string | undefined
  readonly lines: Stream.Stream<string, TensormeshError>
}

/**
 * A request of a streaming method: `stream` may be given only as `true`, as the Python guide writes it
 * (`stream: false` is a `ValidationError`). The method sends `"stream": true` either way.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamRequest<Params> = Params & { readonly stream?: true }

/**
 * @since 0.1.0
 * @category models
 */
export interface StreamingResource<Params, A, Event> {
  /**
   * Sends the request and decodes the whole response. A `stream` key is a `ValidationError` (`stream: true` says
   * to call `.stream(request)`).
   */
  readonly create: (request: Params, options?: CallOptions) => Effect.Effect<A, TensormeshError>
  /** Streams the response (`stream: true` is set for you); interrupting the stream aborts the request. */
  readonly stream: (request: StreamRequest<Params>, options?: CallOptions) => Stream.Stream<Event, TensormeshError>
  /**
   * Opens the stream eagerly, in the current `Scope`: succeeds once a 2xx response has arrived (retries done), so
   * that rate limits, status errors, auth and validation failures are in this effect's error channel, before
   * anything is sent on (e.g. before an SSE proxy commits its own `200`). The returned `Stream` reads the body with
   * the decoding and idle timeout of `stream` (the `ChatStream` helpers apply) and can be run once. Closing the
   * scope, or the stream ending, aborts the request.
   *
   * @since 0.2.0
   */
  readonly openStream: (
    request: StreamRequest<Params>,
    options?: CallOptions
  ) => Effect.Effect<Stream.Stream<Event, TensormeshError>, TensormeshError, Scope.Scope>
  readonly withRawResponse: {
    readonly create: (
      request: Params,
      options?: CallOptions
    ) => Effect.Effect<RawResponse<A>, TensormeshError>
  }
  readonly withStreamingResponse: {
    readonly create: (
      request: StreamRequest<Params>,
      options?: CallOptions
    ) => Effect.Effect<StreamingResponse, TensormeshError, Scope.Scope>
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateResource<Params, A> {
  readonly create: (request: Params, options?: CallOptions) => Effect.Effect<A, TensormeshError>
  readonly withRawResponse: {
    readonly create: (request: Params, options?: CallOptions) => Effect.Effect<RawResponse<A>, TensormeshError>
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ListResource<A> {
  readonly list: (options?: CallOptions) => Effect.Effect<A, TensormeshError>
  readonly withRawResponse: {
    readonly list: (options?: CallOptions) => Effect.Effect<RawResponse<A>, TensormeshError>
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface GetResource<A> {
  readonly get: (options?: CallOptions) => Effect.Effect<A, TensormeshError>
  readonly withRawResponse: {
    readonly get: (options?: CallOptions) => Effect.Effect<RawResponse<A>, TensormeshError>
  }
}

/**
 * Options of `chat.completions.parse`: the call's, and `schemaHint` (default false) to put the schema's JSON Schema
 * in a system message before the conversation, for models that need the hint.
 *
 * @since 0.2.0
 * @category models
 */
export interface ParseOptions extends CallOptions {
  readonly schemaHint?: boolean | undefined
}

/**
 * A chat completion whose every choice's message has `parsed`: its content decoded with the schema.
 *
 * @since 0.2.0
 * @category models
 */
export type ParsedChatCompletion<A> = Omit<ChatCompletion, "choices"> & {
  readonly choices: ReadonlyArray<
    Omit<ChatCompletionChoice, "message"> & { readonly message: ChatCompletionMessage & { readonly parsed: A } }
  >
}

/**
 * `chat.completions`: a streaming resource with typed JSON output.
 *
 * @since 0.2.0
 * @category models
 */
export interface ChatCompletionsResource
  extends StreamingResource<ChatCompletionCreateParams, ChatCompletion, ChatCompletionChunk>
{
  /**
   * Sends the request in JSON mode (`response_format` `json_object`, the structured mode this surface supports)
   * and decodes each choice's content with `schema` into `message.parsed`. Content that is not JSON, or does not
   * match, fails with `UpstreamError` `InvalidOutput` (not retryable) carrying the `issues` and the text (bounded,
   * in `body`).
   */
  readonly parse: <A, I, R>(
    request: ChatCompletionCreateParams,
    schema: Schema.Schema<A, I, R>,
    options?: ParseOptions
  ) => Effect.Effect<ParsedChatCompletion<A>, TensormeshError, R>
}

/**
 * The service behind both `Serverless` and `OnDemand`.
 *
 * @since 0.1.0
 * @category models
 */
export interface InferenceClient {
  /** Which surface this client talks to. */
  readonly surface: "serverless" | "on-demand"
  readonly chat: {
    readonly completions: ChatCompletionsResource
  }
  readonly completions: StreamingResource<CompletionCreateParams, Completion, CompletionChunk>
  readonly responses: StreamingResource<ResponseCreateParams, Response, ResponseStreamEvent>
  readonly models: ListResource<ModelList>
  readonly tokenize: CreateResource<TokenizeParams, TokenizeResult>
  readonly detokenize: CreateResource<DetokenizeParams, DetokenizeResult>
  readonly health: GetResource<Health>
  readonly version: GetResource<Version>
}
