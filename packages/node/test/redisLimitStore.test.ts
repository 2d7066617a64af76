import { assert, it } from "@effect/vitest"
import { LimitStore, type LimitStoreError, type UpstreamError } from "@tensormesh-effect/core"
import { ConfigProvider, Duration, Effect, Exit, Fiber, Layer, Option, Redacted, Scope } from "effect"
import * as RedisLimitStore from "../src/RedisLimitStore.js"
import { describeRedis, freshPrefix, REDIS_URL } from "./support/redis.js"

const budget = (limit: number, window: Duration.DurationInput, more: Partial<LimitStore.Budget> = {}) =>
  ({ key: "k:requests", limit, window, cost: 1, onExceeded: "wait", what: "requests", ...more }) as LimitStore.Budget

const lease = (limit: number, more: Partial<LimitStore.LeaseOptions> = {}): LimitStore.LeaseOptions => ({
  key: "k:concurrency",
  limit,
  onExceeded: "wait",
  ...more
})

const failure = <A, E>(effect: Effect.Effect<A, E, any>) =>
  Effect.flatMap(Effect.flip(effect as Effect.Effect<A, E>), (error) => Effect.succeed(error as unknown))

/** Two stores on the same Redis and prefix, each with its own connections: two processes, as far as Redis sees. */
const twoStores = (options: Partial<RedisLimitStore.Options> = {}) =>
  Effect.gen(function*() {
    const prefix = freshPrefix()
    const a = yield* RedisLimitStore.make({ url: REDIS_URL, prefix, ...options })
    const b = yield* RedisLimitStore.make({ url: REDIS_URL, prefix, ...options })
    return { a, b }
  })

describeRedis("RedisLimitStore", () => {
  it.scopedLive("windows are shared: the limit passes, then the next store waits for the next window", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoStores()
      const start = Date.now()
      assert.isTrue(Duration.isZero(yield* a.acquire(budget(2, "1 second"))))
      assert.isTrue(Duration.isZero(yield* b.acquire(budget(2, "1 second"))))
      const waited = yield* b.acquire(budget(2, "1 second"))
      const elapsed = Date.now() - start
      assert.isAbove(Duration.toMillis(waited), 700)
      assert.isAtMost(Duration.toMillis(waited), 1_000)
      assert.isAtLeast(elapsed, 950)
    }))

  it.scopedLive("fail mode: RateLimited with a retryAfter within the window, nothing taken", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoStores()
      const fail = budget(1, "2 seconds", { onExceeded: "fail" })
      yield* a.acquire(fail)
      const error = (yield* failure(b.acquire(fail))) as UpstreamError
      assert.strictEqual(error._tag, "UpstreamError")
      assert.strictEqual(error.reason, "RateLimited")
      assert.isAbove(Duration.toMillis(error.retryAfter!), 1_000)
      assert.isAtMost(Duration.toMillis(error.retryAfter!), 2_000)
    }))

  it.scopedLive("an interrupted wait gives its reservation back to the shared window", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoStores()
      yield* a.acquire(budget(1, "1 second"))
      const waiting = yield* Effect.fork(b.acquire(budget(1, "1 second")))
      yield* Effect.sleep("100 millis")
      yield* Fiber.interrupt(waiting)
      // given back: the next caller waits for window 1, not window 2
      const waited = yield* a.acquire(budget(1, "1 second"))
      assert.isAtMost(Duration.toMillis(waited), 1_000)
    }))

  it.scopedLive("slots are shared, held until the scope closes, and kept alive past the lease TTL while held", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoStores({ leaseTtl: "300 millis", pollInterval: "10 millis" })
      const held = yield* Scope.make()
      yield* Scope.extend(a.lease(lease(1)), held)
      yield* Effect.sleep("800 millis") // more than two TTLs: refreshed, so still held
      const blocked = (yield* failure(Effect.scoped(b.lease(lease(1, { onExceeded: "fail" }))))) as UpstreamError
      assert.strictEqual(blocked.reason, "RateLimited")
      assert.include(blocked.message, "concurrency limit of 1 reached")
      const waiter = yield* Effect.fork(Effect.scoped(b.lease(lease(1))))
      yield* Effect.sleep("100 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiter)))
      yield* Scope.close(held, Exit.void)
      const waited = yield* Fiber.join(waiter)
      assert.isAtLeast(Duration.toMillis(waited), 90)
      // freed by the waiter's scope too
      yield* Effect.scoped(a.lease(lease(1, { onExceeded: "fail" })))
    }))

  it.scopedLive("a wait for a slot longer than maxWait fails with RateLimited", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoStores({ pollInterval: "10 millis" })
      yield* a.lease(lease(1))
      const error = (yield* failure(Effect.scoped(b.lease(lease(1, { maxWait: "200 millis" }))))) as UpstreamError
      assert.strictEqual(error.reason, "RateLimited")
      assert.include(error.message, "no slot within the time budget")
    }))

  it.scopedLive("pauses are shared; the later one wins", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoStores()
      const now = Date.now()
      assert.strictEqual(yield* b.pausedUntil("k"), 0)
      yield* a.pause("k", now + 2_000)
      yield* b.pause("k", now + 1_000)
      assert.strictEqual(yield* b.pausedUntil("k"), now + 2_000)
      yield* a.pause("k2", now + 150)
      yield* Effect.sleep("200 millis")
      assert.strictEqual(yield* b.pausedUntil("k2"), 0)
    }))

  it.scopedLive(
    "Redis unreachable: LimitStoreError by default, limits in this process with onStoreFailure local",
    () =>
      Effect.gen(function*() {
        const url = "redis://127.0.0.1:1" // nothing listens on port 1
        const closed = yield* RedisLimitStore.make({ url, commandTimeout: "300 millis" })
        const error = (yield* failure(closed.acquire(budget(5, "1 second")))) as LimitStoreError
        assert.strictEqual(error._tag, "LimitStoreError")
        assert.strictEqual(error.reason, "Unavailable")
        const leaseError = (yield* failure(Effect.scoped(closed.lease(lease(1))))) as LimitStoreError
        assert.strictEqual(leaseError._tag, "LimitStoreError")
        assert.strictEqual(((yield* failure(closed.pausedUntil("k"))) as LimitStoreError)._tag, "LimitStoreError")

        const local = yield* RedisLimitStore.make({ url, commandTimeout: "300 millis", onStoreFailure: "local" })
        yield* local.acquire(budget(1, "10 seconds", { onExceeded: "fail" }))
        const limited =
          (yield* failure(local.acquire(budget(1, "10 seconds", { onExceeded: "fail" })))) as UpstreamError
        assert.strictEqual(limited.reason, "RateLimited")
        yield* local.lease(lease(1))
        const busy = (yield* failure(Effect.scoped(local.lease(lease(1, { onExceeded: "fail" }))))) as UpstreamError
        assert.strictEqual(busy.reason, "RateLimited")
        yield* local.pause("k", Date.now() + 5_000)
        assert.isAbove(yield* local.pausedUntil("k"), Date.now())
      }),
    20_000
  )

  it.effect("a malformed URL is a ValidationError that does not repeat the URL (it may hold a password)", () =>
    Effect.gen(function*() {
      for (const url of ["http://user:s3cret@host", "redis://user:s3cret@host/db", "not a url s3cret"]) {
        const error = yield* Effect.flip(Effect.scoped(RedisLimitStore.make({ url: Redacted.make(url) })))
        assert.strictEqual(error._tag, "ValidationError")
        assert.strictEqual(error.reason, "InvalidConfig")
        assert.notInclude(error.message, "s3cret")
      }
      const ttl = yield* Effect.flip(Effect.scoped(RedisLimitStore.make({ url: REDIS_URL, leaseTtl: "0 millis" })))
      assert.include(ttl.message, "leaseTtl")
    }))

  it.scopedLive("layerConfig reads TENSORMESH_REDIS_URL", () =>
    Effect.gen(function*() {
      const prefix = freshPrefix()
      const provider = ConfigProvider.fromMap(
        new Map([["TENSORMESH_REDIS_URL", REDIS_URL], ["TENSORMESH_REDIS_ON_FAILURE", "local"]])
      )
      const layer = RedisLimitStore.layerConfig({ prefix }).pipe(Layer.provide(Layer.setConfigProvider(provider)))
      // used inside the provide: the layer's connections close with it
      yield* Effect.provide(Effect.flatMap(LimitStore, (store) => store.pause("k", Date.now() + 1_000)), layer)
      const direct = yield* RedisLimitStore.make({ url: REDIS_URL, prefix })
      assert.isAbove(yield* direct.pausedUntil("k"), 0)
      const missing = yield* Effect.flip(
        Effect.provide(
          LimitStore,
          RedisLimitStore.layerConfig().pipe(
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map())))
          )
        )
      )
      assert.strictEqual(missing._tag, "ConfigError")
    }))
})
