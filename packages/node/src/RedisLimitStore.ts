/**
 * A `LimitStore` on Redis: the `limits` of every client on every process that uses the same Redis (and prefix)
 * are shared, and a 429 or 503 seen by one of them pauses them all.
 *
 * Windows are counted by `@effect/experimental`'s `RateLimiter` on its Redis store (atomic Lua scripts, Redis's own
 * clock for expiry); slots for requests in flight are `redis-semaphore` leases, refreshed while held and expiring
 * `leaseTtl` after a process stops refreshing them (a crashed process frees its slots by itself).
 *
 * Imported from its own entry, `@tensormesh-effect/node/RedisLimitStore`, so that applications without it never
 * load a Redis client.
 *
 * @example
 * ```ts
 * import { ServerlessLayer } from "@tensormesh-effect/core"
 * import * as RedisLimitStore from "@tensormesh-effect/node/RedisLimitStore"
 * import { Layer } from "effect"
 *
 * const Surface = ServerlessLayer({ limits: { concurrency: 8, requests: { limit: 600, window: "1 minute" } } }).pipe(
 *   Layer.provide(RedisLimitStore.layer({ url: "redis://127.0.0.1:6379" }))
 * )
 * ```
 *
 * @since 0.2.0
 */
import type { LimitStore } from "@tensormesh-effect/core/LimitStore"
import { LimitStore as LimitStoreTag } from "@tensormesh-effect/core/LimitStore"
import type { ValidationError } from "@tensormesh-effect/core/TensormeshError"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/redisLimitStore.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. Never logged (it may hold a password). */
  readonly url: string | Redacted.Redacted<string>
  /** Prefix of every key this store writes. Default `tensormesh:limits:`. */
  readonly prefix?: string | undefined
  /** How long the slot of a process that stopped (crashed) stays taken. Default 10 seconds. */
  readonly leaseTtl?: Duration.DurationInput | undefined
  /** How often a call waiting for a slot tries again. Default 25 milliseconds. */
  readonly pollInterval?: Duration.DurationInput | undefined
  /** How long a Redis command may take before it counts as a failure. Default 1 second. */
  readonly commandTimeout?: Duration.DurationInput | undefined
  /**
   * While Redis fails: `fail` (the default) fails each call with `UpstreamError` reason `LimitStoreUnavailable`
   * before anything is sent (fail closed); `local` counts the same limits in this process instead, until Redis
   * answers again.
   */
  readonly onStoreFailure?: "fail" | "local" | undefined
}

/**
 * The store, its connections closed with the scope.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make: (
  options: Options
) => Effect.Effect<LimitStore.Service, ValidationError, Scope.Scope> = internal.make

/**
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<LimitStore, ValidationError> =>
  Layer.scoped(LimitStoreTag, internal.make(options))

/**
 * The `Config` `layerConfig` reads: `TENSORMESH_REDIS_URL` (as `Redacted`), and optionally
 * `TENSORMESH_REDIS_ON_FAILURE` (`fail` or `local`) and `TENSORMESH_REDIS_LEASE_TTL_SECONDS`.
 *
 * @since 0.2.0
 * @category layers
 */
export const config: Config.Config<Options> = Config.all({
  url: Config.redacted("TENSORMESH_REDIS_URL"),
  onStoreFailure: Config.map(
    Config.option(Config.literal("fail", "local")("TENSORMESH_REDIS_ON_FAILURE")),
    Option.getOrUndefined
  ),
  leaseTtl: Config.map(
    Config.option(Config.number("TENSORMESH_REDIS_LEASE_TTL_SECONDS")),
    Option.match({ onNone: () => undefined, onSome: (seconds) => seconds * 1000 })
  )
})

/**
 * A layer from `Config` (see `config`); options given here win.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options?: Partial<Options>
): Layer.Layer<LimitStore, ValidationError | ConfigError.ConfigError> =>
  Layer.scoped(
    LimitStoreTag,
    Effect.flatMap(config, (fromConfig) =>
      internal.make({
        ...Object.fromEntries(Object.entries(fromConfig).filter(([, v]) => v !== undefined)),
        ...Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined))
      } as Options))
  )
