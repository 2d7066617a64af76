/**
 * The `tm` CLI's config file (`config.toml` under `$TM_CONFIG_HOME` or `~/.config/tensormesh/`), read on request.
 *
 * Inside the file, `[overrides]` (your edits) wins over `[managed]` (written by `tm init --sync`), which wins over
 * top-level keys. The keys read are `gateway_api_key` (the inference key, kept `Redacted`), `gateway_model_id` (the
 * served model name to send as `model` on the on-demand surface), `gateway_user_id` (or `user_id`),
 * `gateway_base_url` (or `on_demand_base_url`; else derived from `gateway_provider` as
 * `https://external.<provider>.tensormesh.ai/v1`), `timeout_seconds`, `max_retries` and `ca_bundle`.
 *
 * @since 0.1.0
 */
import type { ValidationError } from "@tensormesh-effect/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Toml from "smol-toml"
import * as LazyFileSystem from "./internal/config/fileSystem.js"
import * as internal from "./internal/config/tm.js"

/**
 * Where a value was found in the file.
 *
 * @since 0.1.0
 * @category models
 */
export type Section = "overrides" | "managed" | "top-level"

/**
 * A value of the file with the key and section it came from; `source` reads like `tm:<path>[managed]`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry<A> {
  readonly value: A
  readonly section: Section
  readonly key: string
  readonly source: string
}

/**
 * The settings of a `tm` config file; a key absent from every section (or set to an empty string) is `undefined`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TmConfig {
  /** The absolute path of the file. */
  readonly path: string
  /** `gateway_api_key`. */
  readonly apiKey: Entry<Redacted.Redacted<string>> | undefined
  /** `gateway_model_id`: the served gateway model name, to send as `model` on the on-demand surface. */
  readonly model: Entry<string> | undefined
  /** `gateway_user_id`, or `user_id`. */
  readonly userId: Entry<Redacted.Redacted<string>> | undefined
  /** `gateway_base_url` or `on_demand_base_url`, else derived from `gateway_provider`. */
  readonly onDemandBaseUrl: Entry<string> | undefined
  /** `gateway_provider`, lower-cased (e.g. `nebius`). */
  readonly provider: Entry<string> | undefined
  /** `timeout_seconds`. */
  readonly timeoutSeconds: Entry<number> | undefined
  /** `max_retries`. */
  readonly maxRetries: Entry<number> | undefined
  /** `ca_bundle`: a path to a PEM file. */
  readonly caBundle: Entry<string> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LoadOptions {
  /** The file to read (`~` is expanded); it must exist. Default `$TM_CONFIG_HOME/config.toml` or `~/.config/tensormesh/config.toml`. */
  readonly path?: string | undefined
}

/**
 * The default location of the file: `$TM_CONFIG_HOME/config.toml`, else `$HOME/.config/tensormesh/config.toml`
 * (both variables read through Effect `Config`; `os.homedir()` when `HOME` is unset).
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultPath: Effect.Effect<string, ValidationError> = internal.defaultPath

/**
 * Parses the text of a config file; `path` only names the file in the result and in errors.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse: (text: string, path: string) => Effect.Effect<TmConfig, ValidationError> = (text, path) =>
  internal.parseWith(Toml, text, path)

/**
 * Reads and parses the file. `None` when no `path` was given and the default file does not exist; a `path` given
 * explicitly must exist. A malformed file fails with a `ValidationError` (`InvalidConfig`) naming the file and
 * the key, never its value.
 *
 * @since 0.1.0
 * @category constructors
 */
export const load = (options?: LoadOptions): Effect.Effect<Option.Option<TmConfig>, ValidationError> =>
  internal.load(options).pipe(Effect.provide(LazyFileSystem.layer))

/**
 * The served model name (`gateway_model_id`) of the file, to send as `model` on the on-demand surface.
 *
 * @since 0.1.0
 * @category constructors
 */
export const model = (options?: LoadOptions): Effect.Effect<Option.Option<string>, ValidationError> =>
  Effect.map(load(options), Option.flatMap((config) => Option.fromNullable(config.model?.value)))
