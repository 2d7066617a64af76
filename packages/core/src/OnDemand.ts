/**
 * The on-demand surface: `OnDemand` (the service) and `OnDemandLayer` (its layer, which holds the user id).
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { type Config, type ConfigError, Context, type Layer } from "effect"
import type { OnDemandOptions } from "./ClientOptions.js"
import type { InferenceClient } from "./InferenceClient.js"
import * as internal from "./internal/layers.js"
import type { ValidationError } from "./TensormeshError.js"

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
   * Options given here win over the configuration.
   */
  readonly config: (
    options?: Partial<OnDemandOptions>
  ) => Layer.Layer<OnDemand, ValidationError | ConfigError.ConfigError, HttpClient.HttpClient>
  /** The `Config` the `config` variant reads. */
  readonly settings: Config.Config<OnDemandOptions>
}

/**
 * @since 0.1.0
 * @category layers
 */
export const OnDemandLayer: OnDemandLayer = Object.assign(
  (options: OnDemandOptions) => internal.onDemandLayer(OnDemand, options),
  {
    config: (options?: Partial<OnDemandOptions>) => internal.onDemandLayerConfig(OnDemand, options ?? {}),
    settings: internal.onDemandConfig
  }
)
