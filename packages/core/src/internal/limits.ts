import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import type { Limits } from "../ClientOptions.js"
import { LimitStore, type LimitStoreError } from "../LimitStore.js"
import { type TensormeshError, UpstreamError, type ValidationError } from "../TensormeshError.js"
import { invalidConfig } from "./errors.js"
import { limitReached } from "./limitStore.js"
import { sha256Hex } from "./sha256.js"

/**
 * Limits checked and normalised; `undefined` fields are not limited.
 *
 * @internal
 */
export interface ResolvedLimits {
  readonly requests: Window | undefined
  readonly tokens: Window | undefined
  readonly concurrency: number | undefined
  readonly onExceeded: "wait" | "fail"
}

/** @internal */
export interface Window {
  readonly limit: number
  readonly window: Duration.Duration
}

const wholeAtLeastOne = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 1

const checkWindow = (
  value: unknown,
  setting: string
): Effect.Effect<Window | undefined, ValidationError> =>
  Effect.suspend(() => {
    if (value === undefined) return Effect.succeed(undefined)
    if (typeof value !== "object" || value === null) {
      return Effect.fail(
        invalidConfig(`${setting} must be { limit, window }`, `${setting}`, `must be { limit, window }`)
      )
    }
    const { limit, window } = value as { readonly limit?: unknown; readonly window?: unknown }
    if (!wholeAtLeastOne(limit)) {
      return Effect.fail(
        invalidConfig(`${setting}.limit must be a whole number ≥ 1`, `${setting}.limit`, `must be a whole number ≥ 1`)
      )
    }
    const decoded = Duration.decodeUnknown(window)
    if (Option.isNone(decoded) || !Duration.isFinite(decoded.value) || Duration.toMillis(decoded.value) < 1) {
      return Effect.fail(
        invalidConfig(
          `${setting}.window must be a finite duration of at least 1 millisecond`,
          `${setting}.window`,
          `must be a finite duration of at least 1 millisecond`
        )
      )
    }
    return Effect.succeed({ limit, window: decoded.value })
  })

/**
 * Checks limits (a layer's, or a layer's with one call's fields over them); `undefined` when nothing is limited.
 *
 * @internal
 */
export const resolveLimits = (
  limits: Limits | undefined,
  setting = "limits"
): Effect.Effect<ResolvedLimits | undefined, ValidationError> =>
  Effect.gen(function*() {
    if (limits === undefined) return undefined
    if (typeof limits !== "object" || limits === null) {
      return yield* invalidConfig(`${setting} must be an object`, `${setting}`, `must be an object`)
    }
    const requests = yield* checkWindow(limits.requests, `${setting}.requests`)
    const tokens = yield* checkWindow(limits.tokens, `${setting}.tokens`)
    const concurrency = limits.concurrency
    if (concurrency !== undefined && !wholeAtLeastOne(concurrency)) {
      return yield* invalidConfig(
        `${setting}.concurrency must be a whole number ≥ 1`,
        `${setting}.concurrency`,
        `must be a whole number ≥ 1`
      )
    }
    const onExceeded = limits.onExceeded ?? "wait"
    if (onExceeded !== "wait" && onExceeded !== "fail") {
      return yield* invalidConfig(
        `${setting}.onExceeded must be "wait" or "fail"`,
        `${setting}.onExceeded`,
        `must be "wait" or "fail"`
      )
    }
    if (requests === undefined && tokens === undefined && concurrency === undefined) {
      return undefined
    }
    return { requests, tokens, concurrency, onExceeded }
  })

/**
 * A call's limits: the layer's, with the fields the call gives replacing them.
 *
 * @internal
 */
export const mergeLimits = (layer: Limits | undefined, call: Limits | undefined): Limits | undefined => {
  if (call === undefined) return layer
  if (layer === undefined) return call
  const merged: Record<string, unknown> = { ...layer }
  for (const [name, value] of Object.entries(call)) if (value !== undefined) merged[name] = value
  return merged as Limits
}

/**
 * The part of every limit key that names the client: the surface and a SHA-256 of the API key (its first 128 bits),
 * never the key itself.
 *
 * @internal
 */
export const clientKey = (surface: string, apiKey: Redacted.Redacted<string> | undefined): string =>
  apiKey === undefined
    ? `${surface}:anonymous`
    : `${surface}:${sha256Hex(`tensormesh:${Redacted.value(apiKey)}`).slice(0, 32)}`

const MAX_MODEL_KEY = 256

/**
 * The key of one client and model (models are not secret; a long or odd name is encoded and cut).
 *
 * @internal
 */
export const limitKey = (client: string, model: string | undefined): string =>
  `${client}:${model === undefined ? "-" : encodeURIComponent(model).slice(0, MAX_MODEL_KEY)}`

const maxTokensOf = (request: unknown): number => {
  if (typeof request !== "object" || request === null) return 0
  const r = request as Record<string, unknown>
  const value = r.max_tokens ?? r.max_completion_tokens ?? r.max_output_tokens
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0
}

/**
 * The tokens a request is expected to take: a token per 4 characters of its body, plus its output cap.
 *
 * @internal
 */
export const estimateTokens = (request: unknown, body: string | undefined): number =>
  Math.ceil((body?.length ?? 0) / 4) + maxTokensOf(request)

/**
 * The tokens a response says it used (`usage.total_tokens`, else input plus output), if it says.
 *
 * @internal
 */
export const usedTokens = (usage: unknown): number | undefined => {
  if (typeof usage !== "object" || usage === null) return undefined
  const u = usage as Record<string, unknown>
  if (typeof u.total_tokens === "number") return u.total_tokens
  const input = u.prompt_tokens ?? u.input_tokens
  const output = u.completion_tokens ?? u.output_tokens
  return typeof input === "number" && typeof output === "number" ? input + output : undefined
}

/**
 * Time calls waited for their limits (pause, windows and slots), per surface.
 *
 * @internal
 */
export const limitWait = Metric.timerWithBoundaries(
  "tensormesh_limit_wait",
  [1, 5, 10, 50, 100, 500, 1_000, 5_000, 10_000, 60_000],
  "time a call waited for its limits (pause, request and token windows, concurrency slot)"
)

/**
 * What the limits of one client use: the store and the client part of the keys.
 *
 * @internal
 */
export interface LimitContext {
  readonly store: LimitStore.Service
  readonly client: string
  readonly surface: string
}

/**
 * The store of the client's layer (`provided`, the `LimitStore` in the layer's context, else a memory store of its
 * own) and its key, made once, on first use: a client without limits never hashes its key.
 *
 * @internal
 */
export const limitContext = (
  surface: string,
  apiKey: Redacted.Redacted<string> | undefined,
  provided: Option.Option<LimitStore.Service>
): Effect.Effect<Effect.Effect<LimitContext>> =>
  Effect.cached(Effect.gen(function*() {
    const store = Option.isSome(provided) ? provided.value : yield* LimitStore.makeMemory
    return { store, client: clientKey(surface, apiKey), surface }
  }))

/**
 * What one attempt took from the limits: how long it waited, its key and its tokens (to correct).
 *
 * @internal
 */
export interface Permit {
  readonly waited: number
  readonly key: string
  readonly tokens: number
}

/** The failure a call sees when the store fails and its policy is to fail closed. */
const storeFailed = (error: LimitStoreError): UpstreamError =>
  new UpstreamError({ reason: "LimitStoreUnavailable", retryable: true, detail: error.detail, cause: error })

const asTensormesh = <A, R>(effect: Effect.Effect<A, UpstreamError | LimitStoreError, R>) =>
  Effect.mapError(effect, (error) => error._tag === "LimitStoreError" ? storeFailed(error) : error)

/**
 * Takes what one attempt needs, in order: the end of any pause (a server's 429 or 503 seen by any client of the
 * store), a request, the tokens, a slot. Waits within `budget` milliseconds (the rest of the call's total time),
 * or fails at once in `fail` mode; a wait that does not fit fails with `RateLimited`. The slot is held until the
 * scope closes (streams hold it until they end).
 *
 * @internal
 */
export const acquire = (
  context: LimitContext,
  limits: ResolvedLimits,
  model: string | undefined,
  tokens: number,
  budget: number
): Effect.Effect<Permit, TensormeshError, Scope.Scope> =>
  Effect.gen(function*() {
    const { store } = context
    const key = limitKey(context.client, model)
    const start = yield* Clock.currentTimeMillis
    const left = (now: number) => Math.max(0, budget - (now - start))
    const onExceeded = limits.onExceeded
    const paused = yield* asTensormesh(store.pausedUntil(key))
    if (paused > start) {
      const wait = paused - start
      if (onExceeded === "fail" || wait > budget) {
        return yield* limitReached(
          onExceeded === "fail"
            ? "paused after the server asked to wait (429 or 503 with Retry-After)"
            : "paused after the server asked to wait; the pause outlasts the time budget",
          Duration.millis(wait)
        )
      }
      yield* Effect.sleep(wait)
    }
    if (limits.requests !== undefined) {
      yield* asTensormesh(store.acquire({
        key: `${key}:requests`,
        limit: limits.requests.limit,
        window: limits.requests.window,
        cost: 1,
        onExceeded,
        maxWait: left(yield* Clock.currentTimeMillis),
        what: "requests"
      }))
    }
    let taken = 0
    if (limits.tokens !== undefined && tokens > 0) {
      const window = limits.tokens
      taken = Math.min(tokens, window.limit)
      yield* asTensormesh(store.acquire({
        key: `${key}:tokens`,
        limit: window.limit,
        window: window.window,
        cost: taken,
        onExceeded,
        maxWait: left(yield* Clock.currentTimeMillis),
        what: "tokens"
      })).pipe(Effect.onError(() => giveBackRequest(context, limits, key)))
    }
    if (limits.concurrency !== undefined) {
      yield* asTensormesh(store.lease({
        key: `${key}:concurrency`,
        limit: limits.concurrency,
        onExceeded,
        maxWait: left(yield* Clock.currentTimeMillis)
      })).pipe(
        Effect.onError(() =>
          Effect.zipRight(giveBackRequest(context, limits, key), giveBackTokens(context, limits, key, taken))
        )
      )
    }
    const waited = (yield* Clock.currentTimeMillis) - start
    if (waited > 0) yield* Metric.update(Metric.tagged(limitWait, "surface", context.surface), Duration.millis(waited))
    return { waited, key, tokens: taken }
  })

const giveBackRequest = (context: LimitContext, limits: ResolvedLimits, key: string) =>
  limits.requests === undefined ? Effect.void : Effect.ignore(context.store.adjust({
    key: `${key}:requests`,
    limit: limits.requests.limit,
    window: limits.requests.window,
    delta: -1
  }))

const giveBackTokens = (context: LimitContext, limits: ResolvedLimits, key: string, tokens: number) =>
  limits.tokens === undefined || tokens === 0 ? Effect.void : Effect.ignore(context.store.adjust({
    key: `${key}:tokens`,
    limit: limits.tokens.limit,
    window: limits.tokens.window,
    delta: -tokens
  }))

/** The longest pause one server hint imposes on every client (as long as the retry policy ever waits for one). */
const MAX_PAUSE = 60_000

/**
 * After an attempt: pauses every client of the store when the server asked to wait (a 429 or 503 with
 * `Retry-After`), and corrects the tokens by the usage the response reported. Store failures are ignored here:
 * the attempt is over.
 *
 * @internal
 */
export const settle = (
  context: LimitContext,
  limits: ResolvedLimits,
  permit: Permit,
  outcome: { readonly error?: TensormeshError | undefined; readonly usage?: unknown }
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const error = outcome.error
    if (
      error !== undefined && error._tag === "UpstreamError" && error.status !== undefined &&
      (error.reason === "RateLimited" || error.reason === "Unavailable") && error.retryAfter !== undefined
    ) {
      const now = yield* Clock.currentTimeMillis
      const pause = Math.min(Duration.toMillis(error.retryAfter), MAX_PAUSE)
      yield* Effect.ignore(context.store.pause(permit.key, now + pause))
    }
    if (limits.tokens !== undefined && permit.tokens > 0 && outcome.usage !== undefined) {
      const used = usedTokens(outcome.usage)
      if (used !== undefined && used !== permit.tokens) {
        yield* Effect.ignore(context.store.adjust({
          key: `${permit.key}:tokens`,
          limit: limits.tokens.limit,
          window: limits.tokens.window,
          delta: used - permit.tokens
        }))
      }
    }
  })

/**
 * The limits of one call, across its attempts: what the pipeline calls before each attempt, after a failed one,
 * and when the response reports its usage.
 *
 * @internal
 */
export interface LimitedCall {
  /** Takes the limits for one attempt within `budget` milliseconds; the slot is held until the scope closes. */
  readonly before: (budget: number) => Effect.Effect<number, TensormeshError, Scope.Scope>
  /** After a failed attempt: a server's 429 or 503 with `Retry-After` pauses every client of the store. */
  readonly failed: (error: TensormeshError) => Effect.Effect<void>
  /** Corrects the tokens of the last attempt by the usage the response reported. */
  readonly used: (usage: unknown) => Effect.Effect<void>
  /** Milliseconds waited for limits so far. */
  readonly waited: () => number
}

/**
 * The limits of one call, or `undefined` when it has none.
 *
 * @internal
 */
export const limitedCall = (
  context: Effect.Effect<LimitContext>,
  limits: ResolvedLimits | undefined,
  request: unknown,
  body: string | undefined
): LimitedCall | undefined => {
  if (limits === undefined) return undefined
  const model = typeof request === "object" && request !== null &&
      typeof (request as { model?: unknown }).model === "string"
    ? (request as { model: string }).model
    : undefined
  const tokens = limits.tokens === undefined ? 0 : estimateTokens(request, body)
  let permit: Permit | undefined
  let resolved: LimitContext | undefined
  let waited = 0
  return {
    before: (budget) =>
      Effect.flatMap(context, (ctx) => {
        resolved = ctx
        return Effect.map(acquire(ctx, limits, model, tokens, budget), (taken) => {
          permit = taken
          waited += taken.waited
          return taken.waited
        })
      }),
    failed: (error) =>
      resolved === undefined || permit === undefined ? Effect.void : settle(resolved, limits, permit, { error }),
    used: (usage) => {
      if (resolved === undefined || permit === undefined) return Effect.void
      const last = permit
      permit = { ...last, tokens: 0 } // corrected once
      return settle(resolved, limits, last, { usage })
    },
    waited: () => waited
  }
}

/**
 * Puts the time a call waited for its limits on its span.
 *
 * @internal
 */
export const annotateWait = (span: Tracer.Span | undefined, limited: LimitedCall | undefined): Effect.Effect<void> =>
  Effect.sync(() => {
    if (span === undefined || limited === undefined) return
    const waited = limited.waited()
    if (waited > 0) span.attribute("tensormesh.limits.wait_ms", waited)
  })
