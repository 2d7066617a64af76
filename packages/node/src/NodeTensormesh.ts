/**
 * One-line layers for Node: `Serverless` and `OnDemand` over a tuned undici transport, configured from explicit
 * options, the environment and (opt-in) the `tm` CLI config file.
 *
 * ```ts
 * import { NodeTensormesh } from "@tensormesh-effect/node"
 *
 * program.pipe(Effect.provide(NodeTensormesh.serverless()))                       // TENSORMESH_* from the environment
 * program.pipe(Effect.provide(NodeTensormesh.onDemand({ readTmConfig: true })))  // and from `tm init --sync`
 * ```
 *
 * Each setting comes from the first source that has it:
 *
 * 1. the explicit option;
 * 2. the environment, read through Effect `Config` (so `ConfigProvider`s apply): `TENSORMESH_INFERENCE_API_KEY`,
 *    `TENSORMESH_SERVERLESS_BASE_URL`, `TENSORMESH_ON_DEMAND_BASE_URL`, `TENSORMESH_ON_DEMAND_USER_ID` (then
 *    `TENSORMESH_USER_ID`), `TENSORMESH_TIMEOUT_SECONDS`, `TENSORMESH_MAX_RETRIES`, `TENSORMESH_CA_BUNDLE`;
 * 3. with `readTmConfig`, the `tm` config file (see `TmConfig`);
 * 4. the defaults (serverless base URL `https://serverless.tensormesh.ai/v1`, timeout 10 minutes, 2 retries,
 *    stream idle timeout 5 minutes, Node's default CAs).
 *
 * A setting that is invalid where it was found (a malformed file, a URL that does not parse, a user id that is
 * not a UUID, an unreadable CA bundle, a missing on-demand base URL or user id) fails the layer with core's
 * `ValidationError` (reason `InvalidConfig`) whose message names the setting and its source, never the value.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type {
  ClientOptions,
  OnDemand,
  Serverless,
  Tensormesh,
  Transport,
  ValidationError
} from "@tensormesh-effect/core"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as describeInternal from "./internal/config/describe.js"
import * as internal from "./internal/config/layers.js"
import type { LoadOptions } from "./TmConfig.js"

/**
 * Where a setting came from: an explicit option, an environment variable (`env:TENSORMESH_…`), the `tm` config
 * file (`tm:<path>[overrides]`, `tm:<path>[managed]`, or `tm:<path>` for top-level keys), or the default.
 *
 * @since 0.1.0
 * @category models
 */
export type Source = "option" | "default" | `env:${string}` | `tm:${string}`

/**
 * Tuning of the undici transport. undici's own header and body timeouts are always off: the SDK's `timeout` and
 * `idleTimeout` apply instead, so long streams and slow prefills are not cut after undici's 300 s.
 *
 * @since 0.1.0
 * @category models
 */
export interface TransportOptions {
  /**
   * A PEM file of CA certificates to trust besides Node's bundled root certificates (e.g. a corporate proxy's);
   * `~` is expanded. Default `TENSORMESH_CA_BUNDLE`, then `ca_bundle` of the `tm` config file. (With a bundle set,
   * `NODE_EXTRA_CA_CERTS` no longer applies to the SDK's connections: put those certificates in the bundle.)
   */
  readonly caBundle?: string | undefined
  /** How long an idle pooled connection is kept when the server gives no `Keep-Alive` hint. Default 10 seconds. */
  readonly keepAliveTimeout?: Duration.DurationInput | undefined
  /** Time allowed to open a connection (TCP and TLS). Default 10 seconds. */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /**
   * Most connections per origin; calls beyond it wait in the pool for a free connection. Default 256 (a burst of
   * thousands of calls stays under common file descriptor limits).
   */
  readonly connections?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ConfigOptions {
  /**
   * Also read the `tm` CLI config file, below the environment: `true` for the default location
   * (`$TM_CONFIG_HOME/config.toml` or `~/.config/tensormesh/config.toml`; a missing file there is ignored), or
   * `{ path }` for a file that must exist. Default false.
   */
  readonly readTmConfig?: boolean | LoadOptions | undefined
}

/**
 * Options of `serverless`: core's `ClientOptions`, all optional, plus the transport and configuration options.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerlessOptions extends ClientOptions, TransportOptions, ConfigOptions {}

/**
 * Options of `onDemand`: core's `OnDemandOptions`, all optional here (the base URL and the user id may come from
 * the environment or the `tm` file, but must come from somewhere), plus the transport and configuration options.
 *
 * @since 0.1.0
 * @category models
 */
export interface OnDemandOptions extends ClientOptions, TransportOptions, ConfigOptions {
  /** The Tensormesh user id (a UUID), sent as `X-User-Id`. */
  readonly userId?: string | Redacted.Redacted<string> | undefined
}

/**
 * Options of `tensormesh`: those of `layer`, and the surface (else `TENSORMESH_SURFACE`, else `"serverless"`).
 *
 * @since 0.2.0
 * @category models
 */
export interface TensormeshOptions extends LayerOptions {
  readonly surface?: "serverless" | "on-demand" | undefined
}

/**
 * Options of `layer` (both surfaces over one transport) and of `describeConfig`.
 *
 * @since 0.1.0
 * @category models
 */
export interface LayerOptions extends Omit<ClientOptions, "baseUrl">, TransportOptions, ConfigOptions {
  readonly serverlessBaseUrl?: string | undefined
  readonly onDemandBaseUrl?: string | undefined
  /** The Tensormesh user id (a UUID), sent as `X-User-Id` on the on-demand surface. */
  readonly userId?: string | Redacted.Redacted<string> | undefined
}

/**
 * One setting as safe text: `value` is `undefined` when unset; the API key shows only as `<redacted>` and the user
 * id only by its last four characters. `key` is the `tm` file key the value was read from.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigEntry {
  readonly value: string | undefined
  readonly source: Source | undefined
  readonly key: string | undefined
}

/**
 * The effective configuration and where each value came from, like `tm config show --sources`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigDescription {
  readonly apiKey: ConfigEntry
  readonly serverlessBaseUrl: ConfigEntry
  readonly onDemandBaseUrl: ConfigEntry
  readonly userId: ConfigEntry
  /** The default model: the `model` option, `TENSORMESH_MODEL`, or the `tm` file's `gateway_model_id` (on-demand). */
  readonly model: ConfigEntry
  readonly timeout: ConfigEntry
  readonly maxRetries: ConfigEntry
  readonly idleTimeout: ConfigEntry
  readonly caBundle: ConfigEntry
  /** Whether the `tm` file was read: `not read` (no `readTmConfig`), `missing` or `loaded`. */
  readonly tmConfig: {
    readonly status: "not read" | "missing" | "loaded"
    readonly path: string | undefined
  }
}

/**
 * The serverless surface over the Node transport. Needs nothing else; the API key is optional.
 *
 * @since 0.1.0
 * @category layers
 */
export const serverless: (options?: ServerlessOptions) => Layer.Layer<Serverless, ValidationError> = (options) =>
  internal.serverless(options)

/**
 * The on-demand surface over the Node transport. The base URL and the user id are required, from any source.
 *
 * @since 0.1.0
 * @category layers
 */
export const onDemand: (options?: OnDemandOptions) => Layer.Layer<OnDemand, ValidationError> = (options) =>
  internal.onDemand(options)

/**
 * Both surfaces over one transport (one connection pool). The on-demand settings are required.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options?: LayerOptions) => Layer.Layer<Serverless | OnDemand, ValidationError> = (options) =>
  internal.layer(options)

/**
 * `Tensormesh` (the surface this application uses) on the surface configuration chooses: the `surface` option, else
 * `TENSORMESH_SURFACE` (`serverless` or `on-demand`), else serverless; an invalid value is a `ValidationError`
 * (`InvalidConfig`) naming `surface`. Every other setting resolves as for `serverless` / `onDemand` (options, then
 * `TENSORMESH_*`, then the `tm` file), `model` included.
 *
 * @example
 * ```ts
 * import { NodeTensormesh } from "@tensormesh-effect/node"
 * import { Tensormesh } from "@tensormesh-effect/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const tm = yield* Tensormesh
 *   return tm.surface
 * })
 * // TENSORMESH_SURFACE=on-demand picks the on-demand deployment
 * export const main = program.pipe(Effect.provide(NodeTensormesh.tensormesh()))
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const tensormesh: (options?: TensormeshOptions) => Layer.Layer<Tensormesh, ValidationError> = (options) =>
  internal.tensormesh(options)

/**
 * The tuned undici `HttpClient` alone (keep-alive pool, CA bundle, no undici header or body timeouts), e.g. for
 * core's `ServerlessLayer` / `OnDemandLayer` with your own settings and `HttpClient` middleware
 * (`transformClient`). Without middleware, `nodeTransport` is the lighter path.
 *
 * @since 0.1.0
 * @category layers
 */
export const transport: (
  options?: TransportOptions & ConfigOptions
) => Layer.Layer<HttpClient.HttpClient, ValidationError> = (options) => internal.transport(options)

/**
 * The SDK's Node transport alone (undici `dispatch` on the same tuned pool, no `HttpClient` in between), for
 * core's `ServerlessLayer.withTransport` / `OnDemandLayer.withTransport`. This is the transport the layers above
 * use.
 *
 * @since 0.2.0
 * @category layers
 */
export const nodeTransport: (
  options?: TransportOptions & ConfigOptions
) => Layer.Layer<Transport.Transport, ValidationError> = (options) => internal.nodeTransport(options)

/**
 * The effective configuration with the source of each value; fails like the layers on invalid values, but a
 * missing on-demand setting is only shown as unset.
 *
 * @since 0.1.0
 * @category constructors
 */
export const describeConfig: (options?: LayerOptions) => Effect.Effect<ConfigDescription, ValidationError> =
  internal.describeConfig

/**
 * The description as aligned lines of setting, value and source.
 *
 * @since 0.1.0
 * @category utils
 */
export const format: (description: ConfigDescription) => string = describeInternal.format
