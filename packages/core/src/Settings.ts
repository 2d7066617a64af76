/**
 * The defaults and the checks behind every layer's settings, shared by the core layers and the Node
 * configuration loader so both accept exactly the same values.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as internal from "./internal/config.js"
import type { ValidationError } from "./TensormeshError.js"

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SERVERLESS_BASE_URL = "https://serverless.tensormesh.ai/v1"

/**
 * @since 0.1.0
 * @category constants
 */
export const defaults: {
  readonly timeout: Duration.Duration
  readonly maxRetries: number
  readonly idleTimeout: Duration.Duration
  readonly maxResponseBytes: number
} = {
  timeout: Duration.minutes(10),
  maxRetries: 2,
  idleTimeout: Duration.minutes(5),
  maxResponseBytes: 32 * 1024 * 1024
}

/**
 * Why `raw` is not a usable base URL (`undefined` when it is): it must be an http(s) URL without whitespace,
 * control characters, credentials, query or fragment. The reason never repeats the value.
 *
 * @since 0.1.0
 * @category validation
 */
export const baseUrlProblem = (raw: string): string | undefined => {
  if (/[\u0000-\u001f\u007f]/.test(raw) || /\s/.test(raw.trim())) {
    return "not a valid URL (it contains whitespace or control characters)"
  }
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return "not a valid URL"
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an http or https URL"
  if (url.username !== "" || url.password !== "") return "must not contain credentials (pass the API key as apiKey)"
  if (url.search !== "" || url.hash !== "") return "must not contain a query or fragment"
  return undefined
}

/**
 * The API base (trailing slashes removed) and the host root (one trailing `/v1` removed) of a valid base URL.
 *
 * @since 0.1.0
 * @category validation
 */
export const splitBaseUrl = (raw: string): { readonly apiBase: string; readonly root: string } => {
  const url = new URL(raw.trim())
  const apiBase = `${url.origin}${url.pathname}`.replace(/\/+$/, "")
  return { apiBase, root: apiBase.endsWith("/v1") ? apiBase.slice(0, -3) : apiBase }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Whether `value` has the form of a Tensormesh user id (a UUID).
 *
 * @since 0.1.0
 * @category validation
 */
export const isUserId = (value: string): boolean => UUID.test(value.trim())

/**
 * Where a setting came from: an explicit option, an environment variable (`env:TENSORMESH_…`), a further source
 * (the Node package's `tm` config file: `tm:<path>[overrides]`, …), or the default.
 *
 * @since 0.2.0
 * @category models
 */
export type Source = "option" | "default" | `env:${string}` | `tm:${string}`

/**
 * A value found for a setting, not yet checked, and where it was found (`key`: the file key, for a file).
 *
 * @since 0.2.0
 * @category models
 */
export interface Candidate<A> {
  readonly raw: A
  readonly source: Source
  readonly key?: string | undefined
}

/**
 * One resolved setting and where it came from.
 *
 * @since 0.2.0
 * @category models
 */
export interface Setting<A> {
  readonly value: A
  readonly source: Source
  readonly key: string | undefined
}

/**
 * The explicit values (options win over every other source).
 *
 * @since 0.2.0
 * @category models
 */
export interface Input {
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly serverlessBaseUrl?: string | undefined
  readonly onDemandBaseUrl?: string | undefined
  readonly userId?: string | Redacted.Redacted<string> | undefined
  readonly model?: string | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly maxRetries?: number | undefined
  readonly idleTimeout?: Duration.DurationInput | undefined
}

/**
 * What the caller will use: the settings of a surface it does not use are not checked.
 *
 * @since 0.2.0
 * @category models
 */
export interface Needs {
  readonly serverless: boolean
  readonly onDemand: "required" | "optional" | "unused"
  /** The option that sets the on-demand base URL, for the message of a missing value. */
  readonly onDemandBaseUrlOption: string
}

/**
 * Values of a further source, below the environment (the Node package's `tm` file), and a hint appended to the
 * message of a missing on-demand setting.
 *
 * @since 0.2.0
 * @category models
 */
export interface Below {
  readonly apiKey?: Candidate<Redacted.Redacted<string>> | undefined
  readonly onDemandBaseUrl?: Candidate<string> | undefined
  readonly userId?: Candidate<string> | undefined
  readonly model?: Candidate<string> | undefined
  readonly timeoutSeconds?: Candidate<number | string> | undefined
  readonly maxRetries?: Candidate<number | string> | undefined
  readonly missingHint?: ((setting: "onDemandBaseUrl" | "userId") => string) | undefined
}

/**
 * Every setting of the surfaces, each from the first source that has it.
 *
 * @since 0.2.0
 * @category models
 */
export interface Resolved {
  readonly apiKey: Setting<Redacted.Redacted<string>> | undefined
  readonly serverlessBaseUrl: Setting<string>
  readonly onDemandBaseUrl: Setting<string> | undefined
  readonly userId: Setting<Redacted.Redacted<string>> | undefined
  readonly model: Setting<string> | undefined
  readonly timeout: Setting<Duration.Duration>
  readonly maxRetries: Setting<number>
  readonly idleTimeout: Setting<Duration.Duration>
}

/**
 * The one configuration resolver, used by `ServerlessLayer.config()`, `OnDemandLayer.config()` and the Node
 * package's layers: explicit options, then the `TENSORMESH_*` variables read through Effect `Config`
 * (`TENSORMESH_INFERENCE_API_KEY`, `TENSORMESH_SERVERLESS_BASE_URL`, `TENSORMESH_ON_DEMAND_BASE_URL`,
 * `TENSORMESH_ON_DEMAND_USER_ID` then `TENSORMESH_USER_ID`, `TENSORMESH_MODEL`, `TENSORMESH_TIMEOUT_SECONDS` as
 * a positive decimal number of seconds, `TENSORMESH_MAX_RETRIES` as a whole number; an empty variable counts as
 * unset), then `below`, then the defaults. A value that does not pass its check fails with `ValidationError`
 * (`InvalidConfig`) naming the setting and its source, never the value.
 *
 * @since 0.2.0
 * @category constructors
 */
export const resolve = (input: Input, needs: Needs, below?: Below): Effect.Effect<Resolved, ValidationError> =>
  internal.resolve(input, needs, below)

/**
 * Reads one more `TENSORMESH_*` variable by the resolver's rules (empty means unset).
 *
 * @since 0.2.0
 * @category constructors
 */
export const readVariable = (name: string): Effect.Effect<string | undefined, ValidationError> =>
  internal.readVariable(name)
