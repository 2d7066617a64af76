import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { ClientOptions, Limits, OnDemandOptions } from "../ClientOptions.js"
import { LimitStore } from "../LimitStore.js"
import { baseUrlProblem, DEFAULT_SERVERLESS_BASE_URL, defaults, isUserId, splitBaseUrl } from "../Settings.js"
import type { ValidationError } from "../TensormeshError.js"
import type * as Transport from "../Transport.js"
import { readVariable } from "./config.js"
import { invalidConfig } from "./errors.js"
import { type LimitContext, limitContext, type ResolvedLimits, resolveLimits } from "./limits.js"
import { isLogSetting, LOG_VARIABLE, type LogSetting } from "./log.js"
import { latestConventions, OPT_IN_VARIABLE } from "./telemetry.js"

/** @internal */
export type Surface = "serverless" | "on-demand"

/**
 * Everything a call needs, resolved once when the layer is built.
 *
 * @internal
 */
export interface Settings {
  readonly surface: Surface
  /** The API base, e.g. `https://serverless.tensormesh.ai/v1`, without a trailing slash. */
  readonly apiBase: string
  /** The host root for `/tokenize`, `/detokenize`, `/health`, `/version`. */
  readonly root: string
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly userId: Redacted.Redacted<string> | undefined
  readonly timeout: Duration.Duration
  readonly totalTimeout: Duration.Duration | undefined
  readonly maxRetries: number
  readonly idleTimeout: Duration.Duration
  readonly maxResponseBytes: number
  readonly streamTimeout: Duration.Duration | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly stripThinking: boolean
  /** The default model of chat, completions and responses requests. */
  readonly model: string | undefined
  readonly propagateTraceContext: boolean
  /** `OTEL_SEMCONV_STABILITY_OPT_IN` holds `gen_ai_latest_experimental`: spans use the latest GenAI names. */
  readonly latestConventions: boolean
  /** What the SDK logs (`logLevel`, else `TENSORMESH_LOG`, else `off`). */
  readonly logLevel: LogSetting
  readonly transport: Transport.Service
  /** The key and the user id as text: scrubbed from anything a server echoes into an error. */
  readonly secrets: ReadonlyArray<string>
  /** The layer's `limits` as given (a call's fields go over them) and checked. */
  readonly limits: Limits | undefined
  readonly resolvedLimits: ResolvedLimits | undefined
  /** The store and key of the limits (the `LimitStore` in the layer's context, else one in memory), made on first use. */
  readonly limitContext: Effect.Effect<LimitContext>
}

/**
 * Normalises a base URL and derives the root: strip trailing slashes, then one trailing `/v1`.
 *
 * @internal
 */
export const normaliseBaseUrl = (raw: string, setting: string): Effect.Effect<
  { readonly apiBase: string; readonly root: string },
  ValidationError
> =>
  Effect.suspend(() => {
    const problem = baseUrlProblem(raw)
    return problem === undefined
      ? Effect.succeed(splitBaseUrl(raw))
      : Effect.fail(invalidConfig(`${setting}: ${problem}`, setting, problem))
  })

const nonNegativeInt = (n: number, setting: string) =>
  Number.isInteger(n) && n >= 0
    ? Effect.void
    : Effect.fail(invalidConfig(`${setting} must be a whole number ≥ 0`, setting, "must be a whole number ≥ 0"))

const positiveDuration = (d: Duration.DurationInput | undefined, setting: string) =>
  Effect.suspend(() => {
    if (d === undefined) return Effect.succeed(undefined)
    const decoded = Duration.decodeUnknown(d)
    if (decoded._tag === "None" || Duration.toMillis(decoded.value) <= 0) {
      return Effect.fail(
        invalidConfig(`${setting} must be a positive duration`, setting, "must be a positive duration")
      )
    }
    return Effect.succeed(decoded.value)
  })

/**
 * Checks per-layer and per-call options; the same rules apply to both.
 *
 * @internal
 */
export const resolveTimings = (options: {
  readonly timeout?: Duration.DurationInput | undefined
  readonly totalTimeout?: Duration.DurationInput | undefined
  readonly idleTimeout?: Duration.DurationInput | undefined
  readonly maxRetries?: number | undefined
  readonly maxResponseBytes?: number | undefined
  readonly streamTimeout?: Duration.DurationInput | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}) =>
  Effect.all({
    headers: checkHeaders(options.headers),
    streamTimeout: positiveDuration(options.streamTimeout, "streamTimeout"),
    timeout: positiveDuration(options.timeout, "timeout"),
    totalTimeout: positiveDuration(options.totalTimeout, "totalTimeout"),
    idleTimeout: positiveDuration(options.idleTimeout, "idleTimeout"),
    maxRetries: options.maxRetries === undefined
      ? Effect.succeed(undefined)
      : Effect.as(nonNegativeInt(options.maxRetries, "maxRetries"), options.maxRetries),
    maxResponseBytes: options.maxResponseBytes === undefined
      ? Effect.succeed(undefined)
      : Number.isSafeInteger(options.maxResponseBytes) && options.maxResponseBytes > 0
      ? Effect.succeed(options.maxResponseBytes)
      : Effect.fail(
        invalidConfig("maxResponseBytes must be a whole number > 0", "maxResponseBytes", "must be a whole number > 0")
      )
  })

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** Latin-1 without control characters other than tab (CR, LF and NUL above all: no header injection). */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/

/**
 * Why a header cannot be sent (a name that is not an RFC 7230 token, a value with a line break or outside
 * Latin-1), naming the header, never its value; `undefined` when all can be sent.
 *
 * @internal
 */
export const headerProblem = (headers: Readonly<Record<string, string>> | undefined): string | undefined => {
  if (headers === undefined) return undefined
  for (const name of Object.keys(headers)) {
    if (!TOKEN.test(name)) return `header name ${JSON.stringify(name.slice(0, 64))} is not a valid token`
    const value = headers[name]
    if (typeof value !== "string") return `header ${name} must be a string`
    if (BAD_VALUE.test(value)) return `header ${name} has a line break, control or non-Latin-1 character in its value`
  }
  return undefined
}

const checkHeaders = (headers: Readonly<Record<string, string>> | undefined) =>
  Effect.suspend(() => {
    const problem = headerProblem(headers)
    return problem === undefined ? Effect.void : Effect.fail(invalidConfig(problem, "headers"))
  })

/** The `logLevel` option, else `TENSORMESH_LOG` (case-insensitive), else `off`; neither value is echoed. */
const resolveLogLevel = (option: unknown): Effect.Effect<LogSetting, ValidationError> =>
  Effect.gen(function*() {
    if (option !== undefined) {
      if (isLogSetting(option)) return option
      return yield* invalidConfig("logLevel must be one of debug, info, warn, off")
    }
    const raw = yield* readVariable(LOG_VARIABLE)
    if (raw === undefined) return "off"
    const value = raw.trim().toLowerCase()
    if (isLogSetting(value)) return value
    return yield* invalidConfig(`${LOG_VARIABLE} must be one of debug, info, warn, off`)
  })

/** @internal */
export const resolveSettings = (
  surface: Surface,
  options: ClientOptions | OnDemandOptions,
  transport: Transport.Service
): Effect.Effect<Settings, ValidationError> =>
  Effect.gen(function*() {
    const baseSetting = surface === "serverless" ? "baseUrl" : "baseUrl (on-demand)"
    const { apiBase, root } = yield* normaliseBaseUrl(options.baseUrl ?? DEFAULT_SERVERLESS_BASE_URL, baseSetting)
    let userId: Redacted.Redacted<string> | undefined
    if (surface === "on-demand") {
      const raw = (options as OnDemandOptions).userId
      const value = raw === undefined ? "" : Redacted.isRedacted(raw) ? Redacted.value(raw) : raw
      if (value.trim() === "") return yield* invalidConfig("userId is required on the on-demand surface", "userId")
      if (!isUserId(value)) return yield* invalidConfig("userId must be a UUID", "userId")
      userId = Redacted.make(value.trim())
    }
    if (options.apiKey !== undefined && BAD_VALUE.test(Redacted.value(options.apiKey))) {
      return yield* invalidConfig("apiKey has a line break, control or non-Latin-1 character", "apiKey")
    }
    const model = options.model
    if (model !== undefined && (typeof model !== "string" || model.trim() === "")) {
      return yield* invalidConfig("model must be a non-empty model name", "model", "must be a non-empty model name")
    }
    const timings = yield* resolveTimings(options)
    const apiKey = options.apiKey !== undefined && Redacted.value(options.apiKey).trim() !== ""
      ? options.apiKey
      : undefined
    const logLevel = yield* resolveLogLevel(options.logLevel)
    const resolvedLimits = yield* resolveLimits(options.limits)
    const limits = yield* limitContext(surface, apiKey, yield* Effect.serviceOption(LimitStore))
    return {
      surface,
      apiBase,
      root,
      apiKey,
      userId,
      timeout: timings.timeout ?? defaults.timeout,
      totalTimeout: timings.totalTimeout,
      maxRetries: timings.maxRetries ?? defaults.maxRetries,
      idleTimeout: timings.idleTimeout ?? defaults.idleTimeout,
      maxResponseBytes: timings.maxResponseBytes ?? defaults.maxResponseBytes,
      streamTimeout: timings.streamTimeout,
      headers: options.headers ?? {},
      stripThinking: options.stripThinking ?? true,
      model,
      propagateTraceContext: options.propagateTraceContext === true,
      latestConventions: latestConventions(yield* readVariable(OPT_IN_VARIABLE)),
      logLevel,
      transport,
      secrets: [apiKey, userId].flatMap((secret) => secret === undefined ? [] : [Redacted.value(secret)]),
      limits: options.limits,
      resolvedLimits,
      limitContext: limits
    } satisfies Settings
  })
