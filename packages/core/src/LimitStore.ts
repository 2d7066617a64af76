/**
 * Where the `limits` of a client are counted: request and token budgets per window, slots for requests in
 * flight, and the pause a server's 429 or 503 asks for. Every client built on the same store and key shares them.
 *
 * `LimitStore.layerMemory` keeps them in this process (the default when no store is provided); the Node package's
 * `RedisLimitStore` shares them across processes.
 *
 * @since 0.2.0
 */
import type * as RateLimiter from "@effect/experimental/RateLimiter"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/limitStore.js"
import type { UpstreamError } from "./TensormeshError.js"

/**
 * The store could not count a limit (`Unavailable`: not reachable, or no answer in time). What a call does then
 * is the store's policy: `RedisLimitStore` fails the call (as an `UpstreamError` with reason `LimitStoreUnavailable`) or
 * falls back to limits in this process.
 *
 * @since 0.2.0
 * @category errors
 */
export class LimitStoreError
  extends Schema.TaggedError<LimitStoreError>("@tensormesh-effect/core/LimitStoreError")("LimitStoreError", {
    reason: Schema.Literal("Unavailable"),
    detail: Schema.String,
    cause: Schema.optional(Schema.Unknown)
  })
{
  /**
   * @since 0.2.0
   */
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}

/**
 * @since 0.2.0
 */
export declare namespace LimitStore {
  /**
   * A budget to take from: `cost` units (1 for a request, the estimate for tokens) out of `limit` per `window`,
   * counted in consecutive fixed windows from the first use of `key`.
   *
   * @since 0.2.0
   * @category models
   */
  export interface Budget {
    readonly key: string
    readonly limit: number
    readonly window: Duration.DurationInput
    /** Units to take; rounded up, and capped at `limit` (a request larger than the whole budget takes all of it). */
    readonly cost: number
    /** `wait` until the budget has room (interruptible; the reservation is given back), or `fail` at once. */
    readonly onExceeded: "wait" | "fail"
    /** The longest wait that fits the caller's time budget; a longer one fails (and takes nothing). */
    readonly maxWait?: Duration.DurationInput | undefined
    /** What the budget counts, for error messages (`requests`, `tokens`). */
    readonly what: string
  }

  /**
   * A correction of a budget once the real cost is known: `delta` more units (or fewer, when negative).
   *
   * @since 0.2.0
   * @category models
   */
  export interface Correction {
    readonly key: string
    readonly limit: number
    readonly window: Duration.DurationInput
    readonly delta: number
  }

  /**
   * A slot among `limit` for `key`, held until the scope closes.
   *
   * @since 0.2.0
   * @category models
   */
  export interface LeaseOptions {
    readonly key: string
    readonly limit: number
    readonly onExceeded: "wait" | "fail"
    readonly maxWait?: Duration.DurationInput | undefined
  }

  /**
   * @since 0.2.0
   * @category models
   */
  export interface Service {
    /**
     * Takes `cost` from a window budget: at once when it has room, else after waiting for the window that has
     * (the time waited is the result), or fails with `UpstreamError` reason `RateLimited` and a `retryAfter`.
     */
    readonly acquire: (budget: Budget) => Effect.Effect<Duration.Duration, UpstreamError | LimitStoreError>
    /** Corrects a budget taken with an estimate (never waits). */
    readonly adjust: (correction: Correction) => Effect.Effect<void, LimitStoreError>
    /**
     * Holds one of `limit` slots of `key` until the scope closes (waiting for one, or failing with `RateLimited`);
     * the result is the time waited.
     */
    readonly lease: (
      options: LeaseOptions
    ) => Effect.Effect<Duration.Duration, UpstreamError | LimitStoreError, Scope.Scope>
    /** Pauses every client of `key` until `until` (epoch milliseconds); a later pause wins over an earlier one. */
    readonly pause: (key: string, until: number) => Effect.Effect<void, LimitStoreError>
    /** The end of the current pause of `key` (epoch milliseconds), 0 when there is none. */
    readonly pausedUntil: (key: string) => Effect.Effect<number, LimitStoreError>
  }

  /**
   * What a store implementation supplies to `LimitStore.make`: the window counters (`@effect/experimental`'s
   * `RateLimiter`, over any of its stores), the slots and the pauses.
   *
   * @since 0.2.0
   * @category models
   */
  export interface Backend {
    readonly rateLimiter: RateLimiter.RateLimiter
    readonly lease: (options: LeaseOptions) => Effect.Effect<void, UpstreamError | LimitStoreError, Scope.Scope>
    readonly pause: Service["pause"]
    readonly pausedUntil: Service["pausedUntil"]
  }
}

/**
 * The store the limits of a client are counted in.
 *
 * @since 0.2.0
 * @category tags
 */
export class LimitStore extends Context.Tag("@tensormesh-effect/core/LimitStore")<LimitStore, LimitStore.Service>() {
  /**
   * A store in this process's memory: limits shared by every client that uses this layer's service. Its waits
   * follow the `Clock`, so `TestClock` drives them.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layerMemory: Layer.Layer<LimitStore> = Layer.effect(this, internal.makeMemory)

  /**
   * A new memory store (each call its own counters).
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly makeMemory: Effect.Effect<LimitStore.Service> = internal.makeMemory

  /**
   * A store over a backend's counters, slots and pauses, with the waits, give-backs and errors every store shares
   * (how `RedisLimitStore` is built).
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly make: (backend: LimitStore.Backend) => LimitStore.Service = internal.make
}
