import type { Limits } from "@tensormesh-effect/core/ClientOptions"
import * as Settings from "@tensormesh-effect/core/Settings"
import type { ValidationError } from "@tensormesh-effect/core/TensormeshError"
import * as Effect from "effect/Effect"
import { configError } from "./errors.js"

/**
 * The `TENSORMESH_LIMIT_*` variables.
 *
 * @internal
 */
export const LIMIT_ENV = {
  requests: "TENSORMESH_LIMIT_REQUESTS",
  requestsWindow: "TENSORMESH_LIMIT_REQUESTS_WINDOW_SECONDS",
  tokens: "TENSORMESH_LIMIT_TOKENS",
  tokensWindow: "TENSORMESH_LIMIT_TOKENS_WINDOW_SECONDS",
  concurrency: "TENSORMESH_LIMIT_CONCURRENCY",
  onExceeded: "TENSORMESH_LIMIT_ON_EXCEEDED"
} as const

const DEFAULT_WINDOW_SECONDS = 60

const readLimitEnv = Effect.all({
  requests: Settings.readVariable(LIMIT_ENV.requests),
  requestsWindow: Settings.readVariable(LIMIT_ENV.requestsWindow),
  tokens: Settings.readVariable(LIMIT_ENV.tokens),
  tokensWindow: Settings.readVariable(LIMIT_ENV.tokensWindow),
  concurrency: Settings.readVariable(LIMIT_ENV.concurrency),
  onExceeded: Settings.readVariable(LIMIT_ENV.onExceeded)
})

const fail = (name: string, reason: string) => Effect.fail(configError(name, `env:${name}`, reason))

const wholeNumber = (name: string, raw: string | undefined): Effect.Effect<number | undefined, ValidationError> => {
  if (raw === undefined) return Effect.succeed(undefined)
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN
  return Number.isSafeInteger(n) && n >= 1 ? Effect.succeed(n) : fail(name, "must be a whole number ≥ 1")
}

const seconds = (name: string, raw: string | undefined): Effect.Effect<number | undefined, ValidationError> => {
  if (raw === undefined) return Effect.succeed(undefined)
  const n = /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN
  return Number.isFinite(n) && n > 0 ? Effect.succeed(n) : fail(name, "must be a positive number of seconds")
}

const window = (
  limitName: string,
  windowName: string,
  rawLimit: string | undefined,
  rawWindow: string | undefined
): Effect.Effect<Limits["requests"], ValidationError> =>
  Effect.gen(function*() {
    const limit = yield* wholeNumber(limitName, rawLimit)
    const windowSeconds = yield* seconds(windowName, rawWindow)
    if (limit === undefined) {
      return windowSeconds === undefined ? undefined : yield* fail(windowName, `is set without ${limitName}`)
    }
    return { limit, window: `${(windowSeconds ?? DEFAULT_WINDOW_SECONDS) * 1000} millis` as const }
  })

/**
 * The limits of the Node layers: each field of the `limits` option, else its `TENSORMESH_LIMIT_*` variable
 * (windows in seconds, 60 by default). Values are checked here as read (messages name the variable, never echo
 * its value); the option's are checked by core when the layer is built.
 *
 * @internal
 */
export const resolveLimits = (option: Limits | undefined): Effect.Effect<Limits | undefined, ValidationError> =>
  Effect.gen(function*() {
    const env = yield* readLimitEnv
    const requests = option?.requests ??
      (yield* window(LIMIT_ENV.requests, LIMIT_ENV.requestsWindow, env.requests, env.requestsWindow))
    const tokens = option?.tokens ??
      (yield* window(LIMIT_ENV.tokens, LIMIT_ENV.tokensWindow, env.tokens, env.tokensWindow))
    const concurrency = option?.concurrency ?? (yield* wholeNumber(LIMIT_ENV.concurrency, env.concurrency))
    let onExceeded = option?.onExceeded
    if (onExceeded === undefined && env.onExceeded !== undefined) {
      const raw = env.onExceeded.trim()
      if (raw !== "wait" && raw !== "fail") return yield* fail(LIMIT_ENV.onExceeded, "must be wait or fail")
      onExceeded = raw
    }
    if (requests === undefined && tokens === undefined && concurrency === undefined && onExceeded === undefined) {
      return undefined
    }
    return {
      ...(requests === undefined ? {} : { requests }),
      ...(tokens === undefined ? {} : { tokens }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(onExceeded === undefined ? {} : { onExceeded })
    }
  })
