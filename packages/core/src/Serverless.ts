/**
 * The serverless surface: `Serverless` (the service) and `ServerlessLayer` (its layer).
 *
 * @example
 * ```ts
 * import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
 * import { Serverless, ServerlessLayer } from "@tensormesh-effect/core"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const tm = yield* Serverless
 *   const completion = yield* tm.chat.completions.create({
 *     model: "openai/gpt-oss-20b",
 *     messages: [{ role: "user", content: "Say hello." }]
 *   })
 *   return completion.choices[0]?.message.content ?? ""
 * })
 *
 * // Explicit options; or ServerlessLayer.config() to read TENSORMESH_INFERENCE_API_KEY
 * const TensormeshLive = ServerlessLayer({ apiKey: Redacted.make("sk-...") }).pipe(
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * export const main = program.pipe(Effect.provide(TensormeshLive))
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type { ClientOptions } from "./ClientOptions.js"
import type { InferenceClient } from "./InferenceClient.js"
import * as internal from "./internal/layers.js"
import type { ValidationError } from "./TensormeshError.js"
import type { Transport } from "./Transport.js"

/**
 * The serverless surface of the Tensormesh inference API (`https://serverless.tensormesh.ai/v1` by default).
 *
 * @since 0.1.0
 * @category tags
 */
export class Serverless extends Context.Tag("@tensormesh-effect/core/Serverless")<Serverless, InferenceClient>() {}

/**
 * @since 0.1.0
 * @category layers
 */
export interface ServerlessLayer {
  /** A layer from explicit options; the API key is optional (models, health and version work without it). */
  (options?: ClientOptions): Layer.Layer<Serverless, ValidationError, HttpClient.HttpClient>
  /**
   * A layer from `Config`: by default `TENSORMESH_INFERENCE_API_KEY` (as `Redacted`, optional),
   * `TENSORMESH_SERVERLESS_BASE_URL`, `TENSORMESH_TIMEOUT_SECONDS` and `TENSORMESH_MAX_RETRIES`. Options given
   * here win over the configuration. Resolved by `Settings.resolve`, the same resolver as the Node layers': an
   * invalid value fails with `ValidationError` (`InvalidConfig`) naming the variable, never its value.
   */
  readonly config: (
    options?: Partial<ClientOptions>
  ) => Layer.Layer<Serverless, ValidationError, HttpClient.HttpClient>
  /**
   * A layer over a given `Transport` (e.g. the Node transport of `@tensormesh-effect/node`) instead of an
   * `HttpClient`. `transformClient` does not apply (the layer fails with `InvalidConfig` if it is set).
   */
  readonly withTransport: (options?: ClientOptions) => Layer.Layer<Serverless, ValidationError, Transport>
  /** The options the `config` variant resolves (see `Settings.resolve`). */
  readonly settings: Effect.Effect<ClientOptions, ValidationError>
}

/**
 * @since 0.1.0
 * @category layers
 */
export const ServerlessLayer: ServerlessLayer = Object.assign(
  (options?: ClientOptions) => internal.serverlessLayer(Serverless, options ?? {}),
  {
    config: (options?: Partial<ClientOptions>) => internal.serverlessLayerConfig(Serverless, options ?? {}),
    withTransport: (options?: ClientOptions) => internal.serverlessWithTransport(Serverless, options ?? {}),
    settings: internal.serverlessConfig
  }
)
