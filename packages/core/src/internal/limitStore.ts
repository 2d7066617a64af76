import * as RateLimiter from "@effect/experimental/RateLimiter"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { type LimitStore, LimitStoreError } from "../LimitStore.js"
import { UpstreamError } from "../TensormeshError.js"

type Service = LimitStore.Service
type Backend = LimitStore.Backend

/**
 * The failure of a limit reached in fail mode, or of a wait that would not fit the time budget: the same reason as
 * a server's 429, with no status (nothing was sent).
 *
 * @internal
 */
export const limitReached = (detail: string, retryAfter: Duration.Duration | undefined): UpstreamError =>
  new UpstreamError({
    reason: "RateLimited",
    retryable: true,
    detail,
    ...(retryAfter === undefined ? {} : { retryAfter })
  })

/**
 * A store that could not be reached or did not answer.
 *
 * @internal
 */
export const storeUnavailable = (what: string, cause: unknown): LimitStoreError =>
  new LimitStoreError({ reason: "Unavailable", detail: `the limit store failed to ${what}`, cause })

const fromRateLimiter = (error: RateLimiter.RateLimiterError): LimitStoreError =>
  storeUnavailable("count a window", error.reason === "StoreError" ? error.cause ?? error : error)

const wholeCost = (cost: number, limit: number) =>
  Number.isFinite(cost) ? Math.min(Math.max(0, Math.ceil(cost)), limit) : limit

/**
 * A `LimitStore` over a backend: window budgets through `RateLimiter`'s fixed window (the same algorithm whatever
 * the counters live in), waits done here (interruptible, a reservation given back when its wait is interrupted or
 * does not fit `maxWait`), slots and pauses as the backend keeps them.
 *
 * @internal
 */
export const make = (backend: Backend): Service => {
  const limiter = backend.rateLimiter
  /** Gives back `tokens` taken from a window (a negative consume); best effort, as the counter may have expired. */
  const giveBack = (key: string, limit: number, window: Duration.DurationInput, tokens: number) =>
    tokens <= 0
      ? Effect.void
      : Effect.ignore(limiter.consume({ key, limit, window, tokens: -tokens, onExceeded: "delay" }))
  const acquire: Service["acquire"] = (budget) =>
    Effect.suspend((): Effect.Effect<Duration.Duration, UpstreamError | LimitStoreError> => {
      const cost = wholeCost(budget.cost, budget.limit)
      if (cost === 0) return Effect.succeed(Duration.zero)
      const base = { key: budget.key, limit: budget.limit, window: budget.window, tokens: cost }
      if (budget.onExceeded === "fail") {
        return limiter.consume({ ...base, onExceeded: "fail" }).pipe(
          Effect.as(Duration.zero),
          Effect.mapError((error): UpstreamError | LimitStoreError =>
            error.reason === "Exceeded"
              ? limitReached(`${budget.what} limit of ${budget.limit} reached`, error.retryAfter)
              : fromRateLimiter(error)
          )
        )
      }
      return limiter.consume({ ...base, onExceeded: "delay" }).pipe(
        Effect.mapError(fromRateLimiter),
        Effect.flatMap((result) => {
          // whole milliseconds (the clock's resolution): under one is none (the counters' arithmetic leaves tiny
          // remainders), and float noise above a whole number does not add one
          const raw = Duration.toMillis(result.delay)
          if (raw < 1) return Effect.succeed(Duration.zero)
          const millis = Math.ceil(raw - 1e-6)
          const delay = Duration.millis(millis)
          if (budget.maxWait !== undefined && Duration.greaterThan(delay, budget.maxWait)) {
            return Effect.zipRight(
              giveBack(budget.key, budget.limit, budget.window, cost),
              Effect.fail(
                limitReached(
                  `${budget.what} limit of ${budget.limit} reached; waiting ${
                    Duration.format(delay)
                  } would exceed the time budget`,
                  delay
                )
              )
            )
          }
          return Effect.sleep(delay).pipe(
            Effect.onInterrupt(() => giveBack(budget.key, budget.limit, budget.window, cost)),
            Effect.as(delay)
          )
        })
      )
    })
  const adjust: Service["adjust"] = (correction) =>
    Effect.suspend(() => {
      const delta = Math.trunc(correction.delta)
      if (!Number.isFinite(delta) || delta === 0) return Effect.void
      if (delta < 0) return giveBack(correction.key, correction.limit, correction.window, -delta)
      return limiter.consume({
        key: correction.key,
        limit: correction.limit,
        window: correction.window,
        tokens: Math.min(delta, correction.limit),
        onExceeded: "delay"
      }).pipe(Effect.asVoid, Effect.mapError(fromRateLimiter))
    })
  const lease: Service["lease"] = (options) =>
    Effect.clockWith((clock) => {
      const start = clock.unsafeCurrentTimeMillis()
      return Effect.map(
        backend.lease(options),
        () => Duration.millis(Math.max(0, clock.unsafeCurrentTimeMillis() - start))
      )
    })
  return { acquire, adjust, lease, pause: backend.pause, pausedUntil: backend.pausedUntil }
}

/** The slots of one key in memory: taken ones and the fibers waiting for one. */
class Slots {
  taken = 0
  readonly waiters = new Set<() => void>()
  constructor(public limit: number) {}

  tryTake(): boolean {
    if (this.taken >= this.limit) return false
    this.taken++
    return true
  }

  /** Wakes as many waiters as there are free slots (each takes its slot when it runs, or waits again). */
  wake() {
    let free = this.limit - this.taken
    for (const waiter of this.waiters) {
      if (free-- <= 0) break
      waiter()
    }
  }

  release() {
    this.taken--
    this.wake()
  }

  readonly take: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.tryTake()) return resume(Effect.void)
    const waiter = () => {
      this.waiters.delete(waiter)
      resume(Effect.suspend(() => this.tryTake() ? Effect.void : this.take))
    }
    this.waiters.add(waiter)
    return Effect.sync(() => {
      this.waiters.delete(waiter)
    })
  })
}

/**
 * Slots and pauses in this process's memory; the clock is the caller's (so `TestClock` drives pauses).
 *
 * @internal
 */
export const memoryBackend = (rateLimiter: RateLimiter.RateLimiter): Backend => {
  const slots = new Map<string, Slots>()
  const pauses = new Map<string, number>()
  const slotsOf = (key: string, limit: number) => {
    let entry = slots.get(key)
    if (entry === undefined) {
      entry = new Slots(limit)
      slots.set(key, entry)
    } else if (entry.limit !== limit) {
      entry.limit = limit
      entry.wake()
    }
    return entry
  }
  const releaseOf = (key: string, entry: Slots) =>
    Effect.sync(() => {
      entry.release()
      if (entry.taken <= 0 && entry.waiters.size === 0 && slots.get(key) === entry) slots.delete(key)
    })
  return {
    rateLimiter,
    lease: (options) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          const entry = slotsOf(options.key, options.limit)
          if (entry.tryTake()) return Effect.addFinalizer(() => releaseOf(options.key, entry))
          if (options.onExceeded === "fail") {
            return Effect.fail(limitReached(`concurrency limit of ${options.limit} reached`, undefined))
          }
          const wait = options.maxWait === undefined ? entry.take : Effect.timeoutFail(entry.take, {
            duration: options.maxWait,
            onTimeout: () =>
              limitReached(
                `concurrency limit of ${options.limit} reached; no slot within the time budget`,
                undefined
              )
          })
          return restore(wait).pipe(
            // a waiter woken but interrupted before it took its slot passes the wake on
            Effect.onInterrupt(() => Effect.sync(() => entry.wake())),
            Effect.zipRight(Effect.addFinalizer(() => releaseOf(options.key, entry)))
          )
        })
      ),
    pause: (key, until) =>
      Effect.sync(() => {
        if ((pauses.get(key) ?? 0) < until) pauses.set(key, until)
      }),
    pausedUntil: (key) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const until = pauses.get(key)
          if (until === undefined) return 0
          if (until <= clock.unsafeCurrentTimeMillis()) {
            pauses.delete(key)
            return 0
          }
          return until
        })
      )
  }
}

/** @internal */
export const makeMemory: Effect.Effect<Service> = Effect.map(
  Effect.provide(RateLimiter.make, RateLimiter.layerStoreMemory),
  (rateLimiter) => make(memoryBackend(rateLimiter))
)

/**
 * Holds a slot in a scope of its own, closed by `release` (for code that holds a slot beyond one effect, e.g. a
 * stream whose end is signalled elsewhere). A failed or interrupted wait leaves nothing held.
 *
 * @internal
 */
export const leaseInNewScope = (
  store: Service,
  options: LimitStore.LeaseOptions
): Effect.Effect<
  { readonly waited: Duration.Duration; readonly release: Effect.Effect<void> },
  UpstreamError | LimitStoreError
> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Scope.make(), (scope) =>
      restore(Scope.extend(store.lease(options), scope)).pipe(
        Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause))),
        Effect.map((waited) => ({ waited, release: Scope.close(scope, Exit.void) }))
      ))
  )
