import type * as FileSystem from "@effect/platform/FileSystem"
import { type ClientOptions, type Limits, Settings, type ValidationError } from "@tensormesh-effect/core"
import { Config, Duration, Effect, Option, Redacted } from "effect"
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
  apiKey: "TENSORMESH_INFERENCE_API_KEY",
  serverlessBaseUrl: "TENSORMESH_SERVERLESS_BASE_URL",
  onDemandBaseUrl: "TENSORMESH_ON_DEMAND_BASE_URL",
  onDemandUserId: "TENSORMESH_ON_DEMAND_USER_ID",
  userId: "TENSORMESH_USER_ID",
  timeoutSeconds: "TENSORMESH_TIMEOUT_SECONDS",
  maxRetries: "TENSORMESH_MAX_RETRIES",
  caBundle: "TENSORMESH_CA_BUNDLE"
} as const

/**
 * One resolved setting and where it came from; `key` is the `tm` file key when the source is the file.
 *
 * @internal
 */
export interface Setting<A> {
  readonly value: A
  readonly source: Api.Source
  readonly key: string | undefined
}

/**
 * Every setting the Node layers use, each from the first source that has it.
 *
 * @internal
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
export interface Input {
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly serverlessBaseUrl?: string | undefined
  readonly onDemandBaseUrl?: string | undefined
  readonly userId?: string | Redacted.Redacted<string> | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly maxRetries?: number | undefined
  readonly idleTimeout?: Duration.DurationInput | undefined
  readonly caBundle?: string | undefined
  readonly readTmConfig?: boolean | TmApi.LoadOptions | undefined
  readonly limits?: Limits | undefined
}

/**
 * What the caller will use: settings of a surface it does not use are not checked.
 *
 * @internal
 */
export interface Needs {
  readonly serverless: boolean
  readonly onDemand: "required" | "optional" | "unused"
  /** The option that sets the on-demand base URL, for the hint of a missing value. */
  readonly onDemandBaseUrlOption: string
}

interface Candidate<A> {
  readonly raw: A
  readonly source: Api.Source
  readonly key?: string | undefined
}

type Found<A> = Candidate<A> | undefined

const first = <A>(...candidates: ReadonlyArray<Found<A>>): Found<A> => candidates.find((c) => c !== undefined)

const fromOption = <A>(value: A | undefined): Found<A> =>
  value === undefined ? undefined : { raw: value, source: "option" }

const fromEnv = <A>(name: string, value: A | undefined): Found<A> =>
  value === undefined ? undefined : { raw: value, source: `env:${name}` }

const fromTm = <A, B = A>(entry: TmApi.Entry<A> | undefined, map?: (a: A) => B): Found<B> =>
  entry === undefined ? undefined : {
    raw: map === undefined ? entry.value as unknown as B : map(entry.value),
    source: entry.source as Api.Source,
    key: entry.key
  }

/** Where a value came from, for messages: the source, and the file key when it came from the `tm` file. */
const where = (candidate: Candidate<unknown>): string =>
  candidate.key === undefined ? candidate.source : `${candidate.source} ${candidate.key}`

const fail = (setting: string, candidate: Candidate<unknown>, reason: string) =>
  Effect.fail(configError(setting, where(candidate), reason))

const setting = <A>(candidate: Candidate<unknown>, value: A): Setting<A> => ({
  value,
  source: candidate.source,
  key: candidate.key
})

// -----------------------------------------------------------------------------
// environment
// -----------------------------------------------------------------------------

interface Env {
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly serverlessBaseUrl: string | undefined
  readonly onDemandBaseUrl: string | undefined
  readonly onDemandUserId: Redacted.Redacted<string> | undefined
  readonly userId: Redacted.Redacted<string> | undefined
  readonly timeoutSeconds: string | undefined
  readonly maxRetries: string | undefined
  readonly caBundle: string | undefined
}

const envString = (name: string): Config.Config<string | undefined> =>
  Config.map(Config.option(Config.string(name)), (o) => Option.getOrUndefined(Option.filter(o, (s) => s.trim() !== "")))

const envSecret = (name: string): Config.Config<Redacted.Redacted<string> | undefined> =>
  Config.map(
    Config.option(Config.redacted(name)),
    (o) => Option.getOrUndefined(Option.filter(o, (s) => Redacted.value(s).trim() !== ""))
  )

/**
 * The `TENSORMESH_*` variables, all read as text (numbers are parsed here, so messages never echo a value).
 *
 * @internal
 */
export const readEnv: Effect.Effect<Env, ValidationError> = Effect.mapError(
  Config.all({
    apiKey: envSecret(ENV.apiKey),
    serverlessBaseUrl: envString(ENV.serverlessBaseUrl),
    onDemandBaseUrl: envString(ENV.onDemandBaseUrl),
    onDemandUserId: envSecret(ENV.onDemandUserId),
    userId: envSecret(ENV.userId),
    timeoutSeconds: envString(ENV.timeoutSeconds),
    maxRetries: envString(ENV.maxRetries),
    caBundle: envString(ENV.caBundle)
  }),
  () => configError("TENSORMESH_* settings", "env", "could not be read from the configuration provider")
)

// -----------------------------------------------------------------------------
// checks
// -----------------------------------------------------------------------------

const checkUrl = (
  name: string,
  candidate: Found<string>
): Effect.Effect<Setting<string> | undefined, ValidationError> =>
  Effect.suspend(() => {
    if (candidate === undefined) return Effect.succeed(undefined)
    const raw = candidate.raw
    const problem = typeof raw === "string" ? Settings.baseUrlProblem(raw) : "not a valid URL"
    if (problem !== undefined) return fail(name, candidate, problem)
    return Effect.succeed(setting(candidate, raw.trim()))
  })

const checkUserId = (
  candidate: Found<string | Redacted.Redacted<string>>
): Effect.Effect<Setting<Redacted.Redacted<string>> | undefined, ValidationError> =>
  Effect.suspend(() => {
    if (candidate === undefined) return Effect.succeed(undefined)
    const raw = candidate.raw
    const value = (Redacted.isRedacted(raw) ? Redacted.value(raw) : raw).trim()
    return Settings.isUserId(value)
      ? Effect.succeed(setting(candidate, Redacted.make(value)))
      : fail("userId", candidate, "not a UUID (expected the Tensormesh user id from `tm --output json auth whoami`)")
  })

const checkApiKey = (
  candidate: Found<Redacted.Redacted<string>>
): Effect.Effect<Setting<Redacted.Redacted<string>> | undefined, ValidationError> =>
  Effect.suspend(() => {
    if (candidate === undefined) return Effect.succeed(undefined)
    if (!Redacted.isRedacted(candidate.raw)) return fail("apiKey", candidate, "must be a Redacted string")
    const value = Redacted.value(candidate.raw)
    if (typeof value !== "string") return fail("apiKey", candidate, "must be a string")
    if (/[\r\n\0]/.test(value)) return fail("apiKey", candidate, "contains a line break or NUL character")
    return Effect.succeed(setting(candidate, candidate.raw))
  })

/** A duration given as an option (any `DurationInput`) or as seconds (environment, file). */
const checkDuration = (
  name: string,
  candidate: Found<Duration.DurationInput | string>,
  fallback: Duration.Duration
): Effect.Effect<Setting<Duration.Duration>, ValidationError> =>
  Effect.suspend(() => {
    if (candidate === undefined) return Effect.succeed({ value: fallback, source: "default", key: undefined })
    const raw = candidate.raw
    if (candidate.source === "option") {
      const decoded = Duration.decodeUnknown(raw)
      return Option.isSome(decoded) && Duration.toMillis(decoded.value) > 0
        ? Effect.succeed(setting(candidate, decoded.value))
        : fail(name, candidate, "must be a positive duration")
    }
    const seconds = typeof raw === "number"
      ? raw
      : typeof raw === "string" && /^\s*\d+(\.\d+)?\s*$/.test(raw)
      ? Number(raw)
      : Number.NaN
    return Number.isFinite(seconds) && seconds > 0
      ? Effect.succeed(setting(candidate, Duration.millis(seconds * 1000)))
      : fail(name, candidate, "must be a positive number of seconds")
  })

const checkWholeNumber = (
  name: string,
  candidate: Found<number | string>,
  fallback: number
): Effect.Effect<Setting<number>, ValidationError> =>
  Effect.suspend(() => {
    if (candidate === undefined) return Effect.succeed({ value: fallback, source: "default", key: undefined })
    const raw = candidate.raw
    const n = typeof raw === "number" ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN
    return Number.isSafeInteger(n) && n >= 0
      ? Effect.succeed(setting(candidate, n))
      : fail(name, candidate, "must be a whole number ≥ 0")
  })

const checkPath = (
  name: string,
  candidate: Found<string>,
  home: string
): Effect.Effect<Setting<string> | undefined, ValidationError> =>
  Effect.suspend(() => {
    if (candidate === undefined) return Effect.succeed(undefined)
    if (typeof candidate.raw !== "string" || candidate.raw.trim() === "" || candidate.raw.includes("\0")) {
      return fail(name, candidate, "must be a file path")
    }
    return Effect.succeed(setting(candidate, Tm.expandPath(candidate.raw, home)))
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
 * Resolves every setting: explicit options, then the environment (Effect `Config`), then the `tm` config file
 * (when `readTmConfig` is set), then defaults. Only the winning value of a setting is checked.
 *
 * @internal
 */
export const resolve = (
  input: Input,
  needs: Needs
): Effect.Effect<Resolved, ValidationError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const env = yield* readEnv
    const home = yield* Tm.homeDirectory
    const { config: tm, status } = yield* loadTm(input.readTmConfig)

    const apiKey = yield* checkApiKey(
      first(fromOption(input.apiKey), fromEnv(ENV.apiKey, env.apiKey), fromTm(tm?.apiKey))
    )
    const serverlessCandidate = first(
      fromOption(input.serverlessBaseUrl),
      fromEnv(ENV.serverlessBaseUrl, env.serverlessBaseUrl)
    )
    const serverlessBaseUrl = needs.serverless
      ? yield* checkUrl("serverlessBaseUrl", serverlessCandidate)
      : serverlessCandidate === undefined
      ? undefined
      : setting(serverlessCandidate, serverlessCandidate.raw)
    const onDemandCandidate = first(
      fromOption(input.onDemandBaseUrl),
      fromEnv(ENV.onDemandBaseUrl, env.onDemandBaseUrl),
      fromTm(tm?.onDemandBaseUrl)
    )
    const userIdCandidate = first<string | Redacted.Redacted<string>>(
      fromOption(input.userId),
      fromEnv(ENV.onDemandUserId, env.onDemandUserId),
      fromEnv(ENV.userId, env.userId),
      fromTm(tm?.userId)
    )
    let onDemandBaseUrl: Setting<string> | undefined
    let userId: Setting<Redacted.Redacted<string>> | undefined
    if (needs.onDemand !== "unused") {
      onDemandBaseUrl = yield* checkUrl("onDemandBaseUrl", onDemandCandidate)
      userId = yield* checkUserId(userIdCandidate)
      if (needs.onDemand === "required") {
        if (onDemandBaseUrl === undefined) {
          return yield* configError(
            "onDemandBaseUrl",
            undefined,
            `missing; set the ${needs.onDemandBaseUrlOption} option, ${ENV.onDemandBaseUrl}` +
              missingHint(status, "gateway_base_url (or gateway_provider)")
          )
        }
        if (userId === undefined) {
          return yield* configError(
            "userId",
            undefined,
            `missing; set the userId option, ${ENV.onDemandUserId} (or ${ENV.userId})` +
              missingHint(status, "gateway_user_id")
          )
        }
      }
    }
    const timeout = yield* checkDuration(
      "timeout",
      first<Duration.DurationInput | string>(
        fromOption(input.timeout),
        fromEnv(ENV.timeoutSeconds, env.timeoutSeconds),
        fromTm(tm?.timeoutSeconds)
      ),
      defaults.timeout
    )
    const maxRetries = yield* checkWholeNumber(
      "maxRetries",
      first<number | string>(
        fromOption(input.maxRetries),
        fromEnv(ENV.maxRetries, env.maxRetries),
        fromTm(tm?.maxRetries)
      ),
      defaults.maxRetries
    )
    const idleTimeout = yield* checkDuration("idleTimeout", fromOption(input.idleTimeout), defaults.idleTimeout)
    const caBundle = yield* checkPath(
      "caBundle",
      first(fromOption(input.caBundle), fromEnv(ENV.caBundle, env.caBundle), fromTm(tm?.caBundle)),
      home
    )
    const model = fromTm(tm?.model)
    const limits = yield* resolveLimits(input.limits)
    return {
      apiKey,
      serverlessBaseUrl: serverlessBaseUrl ?? { value: DEFAULT_SERVERLESS_BASE_URL, source: "default", key: undefined },
      onDemandBaseUrl,
      userId,
      model: model === undefined ? undefined : setting(model, model.raw),
      timeout,
      maxRetries,
      idleTimeout,
      caBundle,
      tmConfig: status,
      limits
    } satisfies Resolved
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
  totalTimeout: options.totalTimeout,
  headers: options.headers,
  stripThinking: options.stripThinking,
  propagateTraceContext: options.propagateTraceContext,
  transformClient: options.transformClient,
  limits: resolved.limits
})
