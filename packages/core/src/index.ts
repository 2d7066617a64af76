/**
 * tensormesh-effect: the Effect-TS SDK for the Tensormesh inference API.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export { OnDemand, OnDemandLayer } from "./OnDemand.js"

/**
 * @since 0.1.0
 */
export { Serverless, ServerlessLayer } from "./Serverless.js"

/**
 * @since 0.2.0
 */
export { Tensormesh } from "./Tensormesh.js"

/**
 * @since 0.2.0
 */
export * as TensormeshTest from "./TensormeshTest.js"

/**
 * @since 0.2.0
 */
export * as ChatTool from "./ChatTool.js"

/**
 * @since 0.2.0
 */
export * as ChatMessage from "./ChatMessage.js"

/**
 * @since 0.1.0
 */
export {
  AuthError,
  isTensormeshError,
  type TensormeshError,
  UpstreamError,
  ValidationError,
  ValidationIssue
} from "./TensormeshError.js"

/**
 * @since 0.1.0
 */
export type { CallOptions, ClientOptions, Limits, OnDemandOptions } from "./ClientOptions.js"

/**
 * @since 0.1.0
 */
export type {
  ChatCompletionsResource,
  InferenceClient,
  ParsedChatCompletion,
  ParseOptions,
  RawResponse,
  StreamingResponse,
  StreamRequest
} from "./InferenceClient.js"

/**
 * Schemas and types of chat completions.
 *
 * @since 0.1.0
 */
export * as ChatCompletion from "./ChatCompletion.js"

/**
 * Schemas and types of text completions.
 *
 * @since 0.1.0
 */
export * as Completion from "./Completion.js"

/**
 * Schemas and types of the Responses API.
 *
 * @since 0.1.0
 */
export * as Responses from "./Responses.js"

/**
 * @since 0.1.0
 */
export * as Model from "./Model.js"

/**
 * @since 0.1.0
 */
export * as Tokenize from "./Tokenize.js"

/**
 * @since 0.1.0
 */
export * as ServerInfo from "./ServerInfo.js"

/**
 * @since 0.1.0
 */
export * as Usage from "./Usage.js"

/**
 * Helpers over chat streams: `textDeltas`, `reasoningDeltas`, `stripThinking`, `accumulate`.
 *
 * @since 0.1.0
 */
export * as ChatStream from "./ChatStream.js"

/**
 * Helpers over text completion streams: `textDeltas`, `accumulate`.
 *
 * @since 0.1.0
 */
export * as CompletionStream from "./CompletionStream.js"

/**
 * Helpers over Responses streams: `textDeltas`, `accumulate`.
 *
 * @since 0.1.0
 */
export * as ResponseStream from "./ResponseStream.js"

/**
 * The defaults and validation rules of layer settings.
 *
 * @since 0.1.0
 */
export * as Settings from "./Settings.js"

/**
 * The transport seam: the `Transport` service, its `HttpClient` implementation, and a body buffer for others.
 *
 * @since 0.2.0
 */
export * as Transport from "./Transport.js"

/**
 * @since 0.2.0
 */
export { LimitStore, LimitStoreError } from "./LimitStore.js"

/**
 * @since 0.2.0
 */
export * as Telemetry from "./Telemetry.js"

/**
 * @since 0.2.0
 */
export * as Cost from "./Cost.js"
