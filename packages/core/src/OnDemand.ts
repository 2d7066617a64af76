/**
 * The on-demand surface: `OnDemand` (the service) and `OnDemandLayer` (its layer, which holds the user id).
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type { OnDemandOptions } from "./ClientOptions.js"
import type { InferenceClient } from "./InferenceClient.js"
import * as internal from "./internal/layers.js"
import type { ValidationError } from "./TensormeshError.js"
import type { Transport } from "./Transport.js"

/**
 * The on-demand surface: a dedicated deployment (e.g. `https://external.nebius.tensormesh.ai/v1`). Every request
 * carries `X-User-Id`; `model` is the served gateway model name.
 *
 * @since 0.1.0
 * @category tags
 */
export class OnDemand extends Context.Tag("@tensormesh-effect/core/OnDemand")<OnDemand, InferenceClient>() {}

/**
 * @since 0.1.0
 * @category layers
 */
export interface OnDemandLayer {
  /** A layer from explicit options; `baseUrl` and `userId` (a UUID) are required and checked when it is built. */
  (options: OnDemandOptions): Layer.Layer<OnDemand, ValidationError, HttpClient.HttpClient>
  /**
   * A layer from `Config`: by default `TENSORMESH_ON_DEMAND_BASE_URL`, `TENSORMESH_ON_DEMAND_USER_ID`,
   * `TENSORMESH_INFERENCE_API_KEY` (as `Redacted`), `TENSORMESH_TIMEOUT_SECONDS` and `TENSORMESH_MAX_RETRIES`.
   * `TENSORMESH_USER_ID` is read when `TENSORMESH_ON_DEMAND_USER_ID` is unset. Options given here win over the
   * configuration. Resolved by `Settings.resolve`, the same resolver as the Node layers': an invalid value fails
   * with `ValidationError` (`InvalidConfig`) naming the variable, never its value.
   */
  readonly config: (
    options?: Partial<OnDemandOptions>
  ) => Layer.Layer<OnDemand, ValidationError, HttpClient.HttpClient>
  /**
   * A layer over a given `Transport` (e.g. the Node transport of `@tensormesh-effect/node`) instead of an
   * `HttpClient`. `transformClient` does not apply (the layer fails with `InvalidConfig` if it is set).
   */
  readonly withTransport: (options: OnDemandOptions) => Layer.Layer<OnDemand, ValidationError, Transport>
  /** The options the `config` variant resolves (see `Settings.resolve`). */
  readonly settings: Effect.Effect<OnDemandOptions, ValidationError>
}

/**
 * @since 0.1.0
 * @category layers
 */
export const OnDemandLayer: OnDemandLayer = Object.assign(
  (options: OnDemandOptions) => internal.onDemandLayer(OnDemand, options),
  {
    config: (options?: Partial<OnDemandOptions>) => internal.onDemandLayerConfig(OnDemand, options ?? {}),
    withTransport: (options: OnDemandOptions) => internal.onDemandWithTransport(OnDemand, options),
    settings: internal.onDemandConfig
  }
)
