import type * as FileSystem from "@effect/platform/FileSystem"
import type { ClientOptions, Limits } from "@tensormesh-effect/core/ClientOptions"
import * as Settings from "@tensormesh-effect/core/Settings"
import type { ValidationError } from "@tensormesh-effect/core/TensormeshError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Api from "../../NodeTensormesh.js"
import type * as TmApi from "../../TmConfig.js"
import { configError } from "./errors.js"
import { resolveLimits } from "./limits.js"
import * as Tm from "./tm.js"

/** @internal */
export const DEFAULT_SERVERLESS_BASE_URL = Settings.DEFAULT_SERVERLESS_BASE_URL

/** @internal */
export const defaults = Settings.defaults

/** @internal */
export const ENV = {
  caBundle: "TENSORMESH_CA_BUNDLE"
} as const

/**
 * One resolved setting and where it came from; `key` is the `tm` file key when the source is the file.
 *
 * @internal
 */
export type Setting<A> = Settings.Setting<A>

/**
 * Every setting the Node layers use: core's, resolved by core's resolver with the `tm` file below the
 * environment, plus the CA bundle and the state of the `tm` file.
 *
 * @internal
 */
export interface Resolved extends Settings.Resolved {
  /** An absolute path. */
  readonly caBundle: Setting<string> | undefined
  readonly tmConfig: Api.ConfigDescription["tmConfig"]
  /** The `limits` option's fields, else the `TENSORMESH_LIMIT_*` variables. */
  readonly limits: Limits | undefined
}

/**
 * The explicit values, whatever the entry point called them.
 *
 * @internal
 */
export interface Input extends Settings.Input {
  readonly caBundle?: string | undefined
  readonly readTmConfig?: boolean | TmApi.LoadOptions | undefined
  readonly limits?: Limits | undefined
}

/** @internal */
export type Needs = Settings.Needs

type Found<A> = Settings.Candidate<A> | undefined

const fromTm = <A, B = A>(entry: TmApi.Entry<A> | undefined, map?: (a: A) => B): Found<B> =>
  entry === undefined ? undefined : {
    raw: map === undefined ? entry.value as unknown as B : map(entry.value),
    source: entry.source as Api.Source,
    key: entry.key
  }

const where = (candidate: Settings.Candidate<unknown>): string =>
  candidate.key === undefined ? candidate.source : `${candidate.source} ${candidate.key}`

const checkPath = (
  name: string,
  candidate: Found<string>,
  home: string
): Effect.Effect<Setting<string> | undefined, ValidationError> =>
  Effect.suspend(() => {
    if (candidate === undefined) return Effect.succeed(undefined)
    if (typeof candidate.raw !== "string" || candidate.raw.trim() === "" || candidate.raw.includes("\0")) {
      return Effect.fail(configError(name, where(candidate), "must be a file path"))
    }
    return Effect.succeed(
      {
        value: Tm.expandPath(candidate.raw, home),
        source: candidate.source,
        key: candidate.key
      } satisfies Setting<string>
    )
  })

// -----------------------------------------------------------------------------
// resolution
// -----------------------------------------------------------------------------

const loadTm = (
  readTmConfig: Input["readTmConfig"]
): Effect.Effect<
  { readonly config: TmApi.TmConfig | undefined; readonly status: Api.ConfigDescription["tmConfig"] },
  ValidationError,
  FileSystem.FileSystem
> => {
  if (readTmConfig === undefined || readTmConfig === false) {
    return Effect.succeed({ config: undefined, status: { status: "not read", path: undefined } })
  }
  return Effect.map(Tm.loadFrom(readTmConfig === true ? undefined : readTmConfig), ({ config, path }) => ({
    config: Option.getOrUndefined(config),
    status: { status: Option.isSome(config) ? "loaded" : "missing", path }
  }))
}

const missingHint = (tm: Api.ConfigDescription["tmConfig"], key: string): string =>
  tm.status === "not read"
    ? `, or ${key} in the tm config file (with readTmConfig)`
    : tm.status === "missing"
    ? `, or ${key} in the tm config file (not found at ${tm.path})`
    : `, or ${key} in the tm config file ${tm.path}`

/**
 * Resolves every setting: core's resolver (explicit options, then the environment, then the `tm` config file when
 * `readTmConfig` is set, then defaults), then the CA bundle (option, `TENSORMESH_CA_BUNDLE`, file).
 *
 * @internal
 */
export const resolve = (
  input: Input,
  needs: Needs
): Effect.Effect<Resolved, ValidationError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const home = yield* Tm.homeDirectory
    const { config: tm, status } = yield* loadTm(input.readTmConfig)
    const core = yield* Settings.resolve(input, needs, {
      apiKey: fromTm(tm?.apiKey),
      onDemandBaseUrl: fromTm(tm?.onDemandBaseUrl),
      userId: fromTm(tm?.userId),
      model: fromTm(tm?.model),
      timeoutSeconds: fromTm(tm?.timeoutSeconds),
      maxRetries: fromTm(tm?.maxRetries),
      missingHint: (setting) =>
        missingHint(status, setting === "userId" ? "gateway_user_id" : "gateway_base_url (or gateway_provider)")
    })
    const caEnv = yield* Settings.readVariable(ENV.caBundle)
    const caCandidate: Found<string> = input.caBundle !== undefined
      ? { raw: input.caBundle, source: "option" }
      : caEnv !== undefined
      ? { raw: caEnv, source: `env:${ENV.caBundle}` }
      : fromTm(tm?.caBundle)
    const caBundle = yield* checkPath("caBundle", caCandidate, home)
    const limits = yield* resolveLimits(input.limits)
    return { ...core, caBundle, tmConfig: status, limits } satisfies Resolved
  })

/**
 * Core's options for a surface: the resolved settings plus the options passed through as they are.
 *
 * @internal
 */
export const clientOptions = (
  resolved: Resolved,
  baseUrl: string,
  options: ClientOptions
): ClientOptions => ({
  baseUrl,
  apiKey: resolved.apiKey?.value,
  timeout: resolved.timeout.value,
  maxRetries: resolved.maxRetries.value,
  idleTimeout: resolved.idleTimeout.value,
  model: resolved.model?.value,
  totalTimeout: options.totalTimeout,
  streamTimeout: options.streamTimeout,
  maxResponseBytes: options.maxResponseBytes,
  headers: options.headers,
  stripThinking: options.stripThinking,
  propagateTraceContext: options.propagateTraceContext,
  transformClient: options.transformClient,
  limits: resolved.limits
})
