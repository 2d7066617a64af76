import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Api from "../Settings.js"
import { baseUrlProblem, DEFAULT_SERVERLESS_BASE_URL, defaults, isUserId } from "../Settings.js"
import { ValidationError } from "../TensormeshError.js"

// The one configuration resolver: explicit options, then the `TENSORMESH_*` variables (through Effect `Config`, so
// any `ConfigProvider` applies), then any further source a caller adds below them (the Node package adds the `tm`
// file), then the defaults. Only the winning value of a setting is checked; a failure is `ValidationError`
// (`InvalidConfig`) naming the setting and where its value came from, never the value.

/** @internal */
export const ENV = {
  apiKey: "TENSORMESH_INFERENCE_API_KEY",
  serverlessBaseUrl: "TENSORMESH_SERVERLESS_BASE_URL",
  onDemandBaseUrl: "TENSORMESH_ON_DEMAND_BASE_URL",
  onDemandUserId: "TENSORMESH_ON_DEMAND_USER_ID",
  userId: "TENSORMESH_USER_ID",
  model: "TENSORMESH_MODEL",
  timeoutSeconds: "TENSORMESH_TIMEOUT_SECONDS",
  maxRetries: "TENSORMESH_MAX_RETRIES"
} as const

/** @internal */
export const configError = (setting: string, source: string | undefined, reason: string): ValidationError =>
  new ValidationError({
    reason: "InvalidConfig",
    retryable: false,
    detail: source === undefined ? `${setting}: ${reason}` : `${setting} from ${source}: ${reason}`,
    issues: [{ path: [setting], message: reason }]
  })

type Found<A> = Api.Candidate<A> | undefined

const first = <A>(...candidates: ReadonlyArray<Found<A>>): Found<A> => candidates.find((c) => c !== undefined)

const fromOption = <A>(value: A | undefined): Found<A> =>
  value === undefined ? undefined : { raw: value, source: "option" }

const fromEnv = <A>(name: string, value: A | undefined): Found<A> =>
  value === undefined ? undefined : { raw: value, source: `env:${name}` }

/** Where a value came from, for messages: the source, and the file key when it came from a file. */
const where = (candidate: Api.Candidate<unknown>): string =>
  candidate.key === undefined ? candidate.source : `${candidate.source} ${candidate.key}`

const fail = (setting: string, candidate: Api.Candidate<unknown>, reason: string) =>
  Effect.fail(configError(setting, where(candidate), reason))

const setting = <A>(candidate: Api.Candidate<unknown>, value: A): Api.Setting<A> => ({
  value,
  source: candidate.source,
  key: candidate.key
})

// environment

const envString = (name: string): Config.Config<string | undefined> =>
  Config.map(Config.option(Config.string(name)), (o) => Option.getOrUndefined(Option.filter(o, (s) => s.trim() !== "")))

const envSecret = (name: string): Config.Config<Redacted.Redacted<string> | undefined> =>
  Config.map(
    Config.option(Config.redacted(name)),
    (o) => Option.getOrUndefined(Option.filter(o, (s) => Redacted.value(s).trim() !== ""))
  )

/** The variables, all read as text (an empty one counts as unset; numbers are parsed here, never echoed). */
const readEnv = Effect.mapError(
  Config.all({
    apiKey: envSecret(ENV.apiKey),
    serverlessBaseUrl: envString(ENV.serverlessBaseUrl),
    onDemandBaseUrl: envString(ENV.onDemandBaseUrl),
    onDemandUserId: envSecret(ENV.onDemandUserId),
    userId: envSecret(ENV.userId),
    model: envString(ENV.model),
    timeoutSeconds: envString(ENV.timeoutSeconds),
    maxRetries: envString(ENV.maxRetries)
  }),
  () => configError("TENSORMESH_* settings", "env", "could not be read from the configuration provider")
)

/**
 * Reads one more variable the way the resolver reads its own (empty means unset; a provider failure is
 * `InvalidConfig`).
 *
 * @internal
 */
export const readVariable = (name: string): Effect.Effect<string | undefined, ValidationError> =>
  Effect.mapError(envString(name), () => configError(name, "env", "could not be read from the configuration provider"))

// checks

const checkUrl = (
  name: string,
  candidate: Found<string>
): Effect.Effect<Api.Setting<string> | undefined, ValidationError> =>
  Effect.suspend(() => {
    if (candidate === undefined) return Effect.succeed(undefined)
    const raw = candidate.raw
    const problem = typeof raw === "string" ? baseUrlProblem(raw) : "not a valid URL"
    if (problem !== undefined) return fail(name, candidate, problem)
    return Effect.succeed(setting(candidate, raw.trim()))
  })

const checkUserId = (
  candidate: Found<string | Redacted.Redacted<string>>
): Effect.Effect<Api.Setting<Redacted.Redacted<string>> | undefined, ValidationError> =>
  Effect.suspend(() => {
    if (candidate === undefined) return Effect.succeed(undefined)
    const raw = candidate.raw
    const value = (Redacted.isRedacted(raw) ? Redacted.value(raw) : raw).trim()
    return isUserId(value)
      ? Effect.succeed(setting(candidate, Redacted.make(value)))
      : fail("userId", candidate, "not a UUID (expected the Tensormesh user id from `tm --output json auth whoami`)")
  })

const checkApiKey = (
  candidate: Found<Redacted.Redacted<string>>
): Effect.Effect<Api.Setting<Redacted.Redacted<string>> | undefined, ValidationError> =>
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
): Effect.Effect<Api.Setting<Duration.Duration>, ValidationError> =>
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
): Effect.Effect<Api.Setting<number>, ValidationError> =>
  Effect.suspend(() => {
    if (candidate === undefined) return Effect.succeed({ value: fallback, source: "default", key: undefined })
    const raw = candidate.raw
    const n = typeof raw === "number" ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN
    return Number.isSafeInteger(n) && n >= 0
      ? Effect.succeed(setting(candidate, n))
      : fail(name, candidate, "must be a whole number ≥ 0")
  })

const checkModel = (candidate: Found<string>): Effect.Effect<Api.Setting<string> | undefined, ValidationError> =>
  Effect.suspend(() => {
    if (candidate === undefined) return Effect.succeed(undefined)
    return typeof candidate.raw === "string" && candidate.raw.trim() !== ""
      ? Effect.succeed(setting(candidate, candidate.raw.trim()))
      : fail("model", candidate, "must be a non-empty model name")
  })

/** @internal */
export const resolve = (
  input: Api.Input,
  needs: Api.Needs,
  below: Api.Below = {}
): Effect.Effect<Api.Resolved, ValidationError> =>
  Effect.gen(function*() {
    const env = yield* readEnv
    const apiKey = yield* checkApiKey(first(fromOption(input.apiKey), fromEnv(ENV.apiKey, env.apiKey), below.apiKey))
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
      below.onDemandBaseUrl
    )
    const userIdCandidate = first<string | Redacted.Redacted<string>>(
      fromOption(input.userId),
      fromEnv(ENV.onDemandUserId, env.onDemandUserId),
      fromEnv(ENV.userId, env.userId),
      below.userId
    )
    let onDemandBaseUrl: Api.Setting<string> | undefined
    let userId: Api.Setting<Redacted.Redacted<string>> | undefined
    if (needs.onDemand !== "unused") {
      onDemandBaseUrl = yield* checkUrl("onDemandBaseUrl", onDemandCandidate)
      userId = yield* checkUserId(userIdCandidate)
      if (needs.onDemand === "required") {
        if (onDemandBaseUrl === undefined) {
          return yield* configError(
            "onDemandBaseUrl",
            undefined,
            `missing; set the ${needs.onDemandBaseUrlOption} option, ${ENV.onDemandBaseUrl}` +
              (below.missingHint?.("onDemandBaseUrl") ?? "")
          )
        }
        if (userId === undefined) {
          return yield* configError(
            "userId",
            undefined,
            `missing; set the userId option, ${ENV.onDemandUserId} (or ${ENV.userId})` +
              (below.missingHint?.("userId") ?? "")
          )
        }
      }
    }
    const timeout = yield* checkDuration(
      "timeout",
      first<Duration.DurationInput | string>(
        fromOption(input.timeout),
        fromEnv(ENV.timeoutSeconds, env.timeoutSeconds),
        below.timeoutSeconds
      ),
      defaults.timeout
    )
    const maxRetries = yield* checkWholeNumber(
      "maxRetries",
      first<number | string>(fromOption(input.maxRetries), fromEnv(ENV.maxRetries, env.maxRetries), below.maxRetries),
      defaults.maxRetries
    )
    const idleTimeout = yield* checkDuration("idleTimeout", fromOption(input.idleTimeout), defaults.idleTimeout)
    const model = yield* checkModel(first(fromOption(input.model), fromEnv(ENV.model, env.model), below.model))
    return {
      apiKey,
      serverlessBaseUrl: serverlessBaseUrl ?? { value: DEFAULT_SERVERLESS_BASE_URL, source: "default", key: undefined },
      onDemandBaseUrl,
      userId,
      model,
      timeout,
      maxRetries,
      idleTimeout
    } satisfies Api.Resolved
  })
