import * as RateLimiter from "@effect/experimental/RateLimiter"
import * as RateLimiterRedis from "@effect/experimental/RateLimiter/Redis"
import { LimitStore, LimitStoreError } from "@tensormesh-effect/core/LimitStore"
import { UpstreamError, ValidationError } from "@tensormesh-effect/core/TensormeshError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import { Redis, type RedisOptions } from "ioredis"
import { Semaphore } from "redis-semaphore"
import type { Options } from "../RedisLimitStore.js"

const invalid = (detail: string) => new ValidationError({ reason: "InvalidConfig", retryable: false, detail })

/**
 * The connection options of a `redis://` or `rediss://` URL (user, password, host, port, database). Errors never
 * repeat the URL, which may hold a password.
 *
 * @internal
 */
export const connectionOptions = (raw: string): Effect.Effect<RedisOptions, ValidationError> =>
  Effect.suspend(() => {
    let url: URL
    try {
      url = new URL(raw.trim())
    } catch {
      return Effect.fail(invalid("the Redis URL is not a valid URL"))
    }
    if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
      return Effect.fail(invalid("the Redis URL must start with redis:// or rediss://"))
    }
    const db = url.pathname.replace(/^\/+/, "")
    if (db !== "" && !/^\d{1,4}$/.test(db)) return Effect.fail(invalid("the Redis URL's database must be a number"))
    return Effect.succeed({
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port === "" ? 6379 : Number(url.port),
      ...(url.username === "" ? {} : { username: decodeURIComponent(url.username) }),
      ...(url.password === "" ? {} : { password: decodeURIComponent(url.password) }),
      ...(db === "" ? {} : { db: Number(db) }),
      ...(url.protocol === "rediss:" ? { tls: {} } : {})
    })
  })

const unavailable = (what: string, cause: unknown) =>
  new LimitStoreError({ reason: "Unavailable", detail: `the Redis limit store failed to ${what}`, cause })

const limitReached = (detail: string) => new UpstreamError({ reason: "RateLimited", retryable: true, detail })

/** Sets a pause if it ends later than the one in place; keeps it only as long as it lasts. */
const PAUSE_LUA = `
local current = tonumber(redis.call("GET", KEYS[1]) or "0")
local untilMillis = tonumber(ARGV[1])
if untilMillis > current then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
end
return 0
`

interface Resolved {
  readonly connection: RedisOptions
  readonly prefix: string
  readonly leaseTtl: number
  readonly pollInterval: number
  readonly commandTimeout: number
  readonly onStoreFailure: "fail" | "local"
}

const positiveMillis = (input: Duration.DurationInput | undefined, fallback: number, setting: string) =>
  Effect.suspend(() => {
    if (input === undefined) return Effect.succeed(fallback)
    const decoded = Duration.decodeUnknown(input)
    if (Option.isNone(decoded) || !Duration.isFinite(decoded.value) || Duration.toMillis(decoded.value) <= 0) {
      return Effect.fail(invalid(`${setting} must be a positive, finite duration`))
    }
    return Effect.succeed(Math.ceil(Duration.toMillis(decoded.value)))
  })

/** @internal */
export const resolve = (options: Options): Effect.Effect<Resolved, ValidationError> =>
  Effect.gen(function*() {
    const raw = Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url
    const connection = yield* connectionOptions(raw)
    const leaseTtl = yield* positiveMillis(options.leaseTtl, 10_000, "leaseTtl")
    const pollInterval = yield* positiveMillis(options.pollInterval, 25, "pollInterval")
    const commandTimeout = yield* positiveMillis(options.commandTimeout, 1_000, "commandTimeout")
    const onStoreFailure = options.onStoreFailure ?? "fail"
    if (onStoreFailure !== "fail" && onStoreFailure !== "local") {
      return yield* invalid(`onStoreFailure must be "fail" or "local"`)
    }
    const prefix = options.prefix ?? "tensormesh:limits:"
    if (!/^[\x21-\x7e]{0,128}$/.test(prefix)) return yield* invalid("prefix must be up to 128 visible characters")
    return {
      connection: {
        ...connection,
        // fail fast while Redis is away (a command waits for one reconnection at most), and reconnect forever
        maxRetriesPerRequest: 1,
        commandTimeout,
        connectTimeout: Math.max(commandTimeout, 2_000),
        retryStrategy: (times: number) => Math.min(times * 100, 2_000)
      },
      prefix,
      leaseTtl,
      pollInterval,
      commandTimeout,
      onStoreFailure
    }
  })

const gcd = (a: number, b: number): number => b === 0 ? a : gcd(b, a % b)

/**
 * `RateLimiter`'s Redis script sets expiries of `tokens × window / limit` milliseconds, which Redis wants whole; a
 * budget of more than one unit per millisecond (100,000 tokens a minute) would fail. Such a budget is counted in
 * units of `q` tokens (each cost rounded up to whole units, each give-back down): `q` is the smallest unit whose
 * time is a whole number of milliseconds when that unit is at most 1/1000 of the budget, else the unit whose time
 * rounds to 100 ms or more (the rate then errs by under 0.5%). A budget whose time per token is whole is as given.
 *
 * @internal
 */
export const wholeMillis = (rateLimiter: RateLimiter.RateLimiter): RateLimiter.RateLimiter => ({
  [RateLimiter.TypeId]: RateLimiter.TypeId,
  consume: (options) => {
    const windowMillis = Math.round(Duration.toMillis(Duration.decode(options.window)))
    const perToken = windowMillis / options.limit
    if (Number.isInteger(perToken) && perToken >= 1) return rateLimiter.consume(options)
    const exact = options.limit / gcd(windowMillis, options.limit)
    const q = exact <= Math.max(1, Math.floor(options.limit / 1000))
      ? exact
      : Math.max(1, Math.ceil((100 * options.limit) / windowMillis))
    const limit = Math.max(1, Math.floor(options.limit / q))
    const millisPerUnit = Math.max(1, Math.round((q * windowMillis) / options.limit))
    const tokens = options.tokens ?? 1
    return rateLimiter.consume({
      ...options,
      limit,
      window: Duration.millis(millisPerUnit * limit),
      tokens: tokens >= 0 ? Math.ceil(tokens / q) : -Math.floor(-tokens / q)
    })
  }
})

/**
 * The store in a scope: two connections (the rate limiter's own, and one for slots and pauses), closed with it.
 *
 * @internal
 */
export const make = (options: Options): Effect.Effect<LimitStore.Service, ValidationError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* resolve(options)
    const { leaseTtl, pollInterval, prefix } = settings
    const rateLimiter = yield* Effect.map(
      Effect.provide(
        RateLimiter.make,
        // its own connection: closed in a scope whose failures (Redis away at shutdown) are not the caller's
        yield* isolated(RateLimiterRedis.layerStore({ ...settings.connection, prefix: `${prefix}window:` }))
      ),
      wholeMillis
    )
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const redis = new Redis(settings.connection)
        // failures reach the commands that hit them; the connection itself reconnects quietly
        redis.on("error", () => {})
        redis.defineCommand("tensormeshPause", { numberOfKeys: 1, lua: PAUSE_LUA })
        return redis as Redis & {
          tensormeshPause(key: string, until: number, ttl: number): Promise<number>
        }
      }),
      (redis) => Effect.sync(() => redis.disconnect())
    )
    const slotKey = (key: string) => `${prefix}slots:${key}`
    const semaphore = (key: string, limit: number, more: ConstructorParameters<typeof Semaphore>[3]) =>
      new Semaphore(client, slotKey(key), limit, {
        lockTimeout: leaseTtl,
        retryInterval: pollInterval,
        refreshInterval: 0,
        onLockLost: () => {},
        ...more
      })
    const backend: LimitStore.Backend = {
      rateLimiter,
      lease: (lease) =>
        Effect.gen(function*() {
          const maxWait = lease.maxWait === undefined ? Infinity : Duration.toMillis(Duration.decode(lease.maxWait))
          const held = semaphore(lease.key, lease.limit, {
            acquireTimeout: lease.onExceeded === "fail" ? leaseTtl : maxWait,
            acquireAttemptsLimit: lease.onExceeded === "fail" ? 1 : Infinity
          })
          const acquired = yield* Effect.uninterruptibleMask((restore) =>
            restore(
              Effect.tryPromise({
                try: (signal) => held.tryAcquire(signal),
                catch: (cause) => unavailable("take a concurrency slot", cause)
              })
            ).pipe(
              // an attempt in flight when interrupted may have taken a slot: give it back
              Effect.onInterrupt(() =>
                Effect.ignore(Effect.tryPromise(() => client.zrem(`semaphore:${slotKey(lease.key)}`, held.identifier)))
              ),
              Effect.tap((ok) =>
                ok
                  ? Effect.addFinalizer(() => Effect.ignore(Effect.tryPromise(() => held.release())))
                  : Effect.void
              )
            )
          )
          if (!acquired) {
            return yield* Effect.fail(limitReached(
              lease.onExceeded === "fail"
                ? `concurrency limit of ${lease.limit} reached`
                : `concurrency limit of ${lease.limit} reached; no slot within the time budget`
            ))
          }
          // keeps the slot alive while it is held; a process that dies stops refreshing, and its slot expires
          const refresh = Effect.ignore(Effect.tryPromise(() =>
            semaphore(lease.key, lease.limit, { identifier: held.identifier, acquiredExternally: true }).tryAcquire()
          ))
          yield* Effect.forkScoped(
            Effect.repeat(refresh, Schedule.spaced(Duration.millis(Math.max(1, Math.floor(leaseTtl / 3)))))
          )
        }),
      pause: (key, until) =>
        Effect.clockWith((clock) =>
          Effect.tryPromise({
            try: () =>
              client.tensormeshPause(
                `${prefix}pause:${key}`,
                Math.ceil(until),
                Math.max(1, Math.ceil(until - clock.unsafeCurrentTimeMillis()))
              ),
            catch: (cause) => unavailable("record a pause", cause)
          })
        ).pipe(Effect.asVoid),
      pausedUntil: (key) =>
        Effect.clockWith((clock) =>
          Effect.tryPromise({
            try: () => client.get(`${prefix}pause:${key}`),
            catch: (cause) => unavailable("read a pause", cause)
          }).pipe(Effect.map((value) => {
            const until = value === null ? 0 : Number(value)
            return Number.isFinite(until) && until > clock.unsafeCurrentTimeMillis() ? until : 0
          }))
        )
    }
    const store = LimitStore.make(backend)
    return settings.onStoreFailure === "fail" ? store : withLocalFallback(store, yield* LimitStore.makeMemory)
  })

/** Builds a layer's service in a scope of its own, closed (its failures and defects ignored) with the caller's. */
const isolated = <A, E>(layer: Layer.Layer<A, E>) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    yield* Effect.addFinalizer(() => Effect.catchAllCause(Scope.close(scope, Exit.void), () => Effect.void))
    const context = yield* Layer.buildWithScope(layer, scope)
    return Layer.succeedContext(context)
  })

/**
 * Falls back to limits counted in this process while Redis fails: each operation that fails with a
 * `LimitStoreError` is done by `local` instead. Pauses go to both, so that this process honours its own 429s.
 */
const withLocalFallback = (remote: LimitStore.Service, local: LimitStore.Service): LimitStore.Service => {
  const fallback = <A, E, R>(primary: Effect.Effect<A, E | LimitStoreError, R>, secondary: Effect.Effect<A, E, R>) =>
    Effect.catchIf(
      primary,
      (error): error is LimitStoreError => error instanceof LimitStoreError,
      () => secondary
    ) as Effect.Effect<A, E, R>
  return {
    acquire: (budget) => fallback(remote.acquire(budget), local.acquire(budget)),
    adjust: (correction) => fallback(remote.adjust(correction), local.adjust(correction)),
    lease: (options) => fallback(remote.lease(options), local.lease(options)),
    pause: (key, until) => Effect.zipRight(local.pause(key, until), fallback(remote.pause(key, until), Effect.void)),
    pausedUntil: (key) =>
      Effect.zipWith(
        local.pausedUntil(key),
        fallback(remote.pausedUntil(key), Effect.succeed(0)),
        (a, b) => Math.max(a, b)
      )
  }
}
