import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Option, Scope, TestClock } from "effect"
import { LimitStore, type UpstreamError } from "../src/index.js"

const requests = (limit: number, window: Duration.DurationInput, more: Partial<LimitStore.Budget> = {}) =>
  ({ key: "k:requests", limit, window, cost: 1, onExceeded: "wait", what: "requests", ...more }) as LimitStore.Budget

const upstream = <A>(exit: Exit.Exit<A, unknown>): UpstreamError => {
  assert.isTrue(Exit.isFailure(exit))
  const failure = Exit.isFailure(exit) ? Option.getOrThrow(Exit.causeOption(exit)) : undefined
  const error = failure !== undefined && failure._tag === "Fail" ? failure.error : undefined
  assert.strictEqual((error as UpstreamError)._tag, "UpstreamError")
  return error as UpstreamError
}

const failureOf = <A, E>(effect: Effect.Effect<A, E>) => Effect.map(Effect.exit(effect), upstream)

describe("LimitStore.layerMemory: windows", () => {
  it.effect("requests: the limit passes at once, the next one waits exactly until the next window", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      assert.isTrue(Duration.isZero(yield* store.acquire(requests(2, "10 seconds"))))
      assert.isTrue(Duration.isZero(yield* store.acquire(requests(2, "10 seconds"))))
      const third = yield* Effect.fork(store.acquire(requests(2, "10 seconds")))
      yield* TestClock.adjust(9_999)
      assert.isTrue(Option.isNone(yield* Fiber.poll(third)))
      yield* TestClock.adjust(1)
      assert.strictEqual(Duration.toMillis(yield* Fiber.join(third)), 10_000)
    }))

  it.effect("requests: a call in the middle of a window waits only for the rest of it", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      yield* store.acquire(requests(1, "10 seconds"))
      yield* TestClock.adjust(3_000)
      const next = yield* Effect.fork(store.acquire(requests(1, "10 seconds")))
      yield* TestClock.adjust(6_999)
      assert.isTrue(Option.isNone(yield* Fiber.poll(next)))
      yield* TestClock.adjust(1)
      assert.strictEqual(Duration.toMillis(yield* Fiber.join(next)), 7_000)
    }))

  it.effect("tokens: a cost that overflows the window waits a whole window; a cost over the limit takes it all", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      const tokens = (cost: number) => ({ ...requests(100, "1 minute"), key: "k:tokens", what: "tokens", cost })
      assert.isTrue(Duration.isZero(yield* store.acquire(tokens(60))))
      const second = yield* Effect.fork(store.acquire(tokens(60)))
      yield* TestClock.adjust(59_999)
      assert.isTrue(Option.isNone(yield* Fiber.poll(second)))
      yield* TestClock.adjust(1)
      assert.strictEqual(Duration.toMillis(yield* Fiber.join(second)), 60_000)
      // 120 of 100 taken: the window after this one is the next with room, and 1000 tokens count as 100
      const huge = yield* Effect.fork(store.acquire(tokens(1000)))
      yield* TestClock.adjust(60_000)
      assert.strictEqual(Duration.toMillis(yield* Fiber.join(huge)), 60_000)
    }))

  it.effect("fail mode: RateLimited with the time until the window resets, and nothing taken", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      const fail = requests(2, "10 seconds", { onExceeded: "fail" })
      yield* store.acquire(fail)
      yield* TestClock.adjust(2_000)
      yield* store.acquire(fail)
      const error = yield* failureOf(store.acquire(fail))
      assert.strictEqual(error.reason, "RateLimited")
      assert.isTrue(error.retryable)
      assert.strictEqual(error.status, undefined)
      assert.strictEqual(Duration.toMillis(error.retryAfter!), 8_000)
      assert.include(error.message, "requests limit of 2 reached")
      // a refused call took nothing: after the window, two pass again
      yield* TestClock.adjust(8_000)
      yield* store.acquire(fail)
      yield* store.acquire(fail)
    }))

  it.effect("a wait longer than maxWait fails with the wait as retryAfter and gives its reservation back", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      yield* store.acquire(requests(1, "10 seconds"))
      const error = yield* failureOf(store.acquire(requests(1, "10 seconds", { maxWait: "5 seconds" })))
      assert.strictEqual(error.reason, "RateLimited")
      assert.strictEqual(Duration.toMillis(error.retryAfter!), 10_000)
      assert.include(error.message, "would exceed the time budget")
      // given back: the next caller gets the next window, not the one after
      const next = yield* Effect.fork(store.acquire(requests(1, "10 seconds")))
      yield* TestClock.adjust(10_000)
      assert.strictEqual(Duration.toMillis(yield* Fiber.join(next)), 10_000)
    }))

  it.effect("an interrupted wait gives its reservation back", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      yield* store.acquire(requests(1, "10 seconds"))
      const waiting = yield* Effect.fork(store.acquire(requests(1, "10 seconds")))
      yield* TestClock.adjust(4_000)
      yield* Fiber.interrupt(waiting)
      const next = yield* Effect.fork(store.acquire(requests(1, "10 seconds")))
      yield* TestClock.adjust(5_999)
      assert.isTrue(Option.isNone(yield* Fiber.poll(next)))
      yield* TestClock.adjust(1)
      assert.strictEqual(Duration.toMillis(yield* Fiber.join(next)), 6_000)
    }))

  it.effect("adjust: more tokens push later calls back, fewer give room back", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      const tokens = (cost: number) => ({ ...requests(100, "1 minute"), key: "k:tokens", what: "tokens", cost })
      yield* store.acquire(tokens(50))
      yield* store.adjust({ key: "k:tokens", limit: 100, window: "1 minute", delta: -40 }) // used 10
      assert.isTrue(Duration.isZero(yield* store.acquire(tokens(90))))
      yield* store.adjust({ key: "k:tokens", limit: 100, window: "1 minute", delta: 5 }) // used 95, not 90
      const next = yield* Effect.fork(store.acquire(tokens(1)))
      yield* TestClock.adjust(59_999)
      assert.isTrue(Option.isNone(yield* Fiber.poll(next)))
      yield* TestClock.adjust(1)
      assert.strictEqual(Duration.toMillis(yield* Fiber.join(next)), 60_000)
    }))

  it.effect("separate keys and separate stores do not share a budget", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      const other = yield* LimitStore.makeMemory
      yield* store.acquire(requests(1, "10 seconds", { onExceeded: "fail" }))
      yield* store.acquire(requests(1, "10 seconds", { onExceeded: "fail", key: "other:requests" }))
      yield* other.acquire(requests(1, "10 seconds", { onExceeded: "fail" }))
    }))
})

describe("LimitStore.layerMemory: slots", () => {
  const lease = (limit: number, more: Partial<LimitStore.LeaseOptions> = {}): LimitStore.LeaseOptions => ({
    key: "k:concurrency",
    limit,
    onExceeded: "wait",
    ...more
  })

  it.effect("a slot is held until its scope closes; a waiter gets it then, and says how long it waited", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      const first = yield* Scope.make()
      const second = yield* Scope.make()
      yield* Scope.extend(store.lease(lease(2)), first)
      yield* Scope.extend(store.lease(lease(2)), second)
      const third = yield* Effect.fork(Effect.scoped(Effect.zipLeft(store.lease(lease(2)), Effect.never)))
      const fourth = yield* Effect.fork(Effect.scoped(store.lease(lease(2))))
      yield* TestClock.adjust(1_500)
      assert.isTrue(Option.isNone(yield* Fiber.poll(third)))
      yield* Scope.close(first, Exit.void)
      yield* TestClock.adjust(0)
      // third holds the freed slot forever; fourth still waits
      assert.isTrue(Option.isNone(yield* Fiber.poll(fourth)))
      yield* TestClock.adjust(500)
      yield* Scope.close(second, Exit.void)
      assert.strictEqual(Duration.toMillis(yield* Fiber.join(fourth)), 2_000)
      yield* Fiber.interrupt(third)
    }))

  it.effect("slots are freed by success, failure and interruption of their user", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      const held = <A, E>(use: Effect.Effect<A, E>) => Effect.scoped(Effect.zipRight(store.lease(lease(1)), use))
      yield* held(Effect.void)
      yield* Effect.exit(held(Effect.fail("boom")))
      yield* Effect.exit(held(Effect.die("defect")))
      const running = yield* Effect.fork(held(Effect.never))
      yield* TestClock.adjust(0)
      const blocked = yield* failureOf(Effect.scoped(store.lease(lease(1, { onExceeded: "fail" }))))
      assert.strictEqual(blocked.reason, "RateLimited")
      assert.include(blocked.message, "concurrency limit of 1 reached")
      yield* Fiber.interrupt(running)
      // all freed: one more at once, in fail mode
      yield* Effect.scoped(store.lease(lease(1, { onExceeded: "fail" })))
    }))

  it.effect("an interrupted waiter takes no slot, and a maxWait ends the wait with RateLimited", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      const holder = yield* Scope.make()
      yield* Scope.extend(store.lease(lease(1)), holder)
      const waiter = yield* Effect.fork(Effect.scoped(Effect.zipRight(store.lease(lease(1)), Effect.never)))
      yield* TestClock.adjust(100)
      yield* Fiber.interrupt(waiter)
      const timed = yield* Effect.fork(failureOf(Effect.scoped(store.lease(lease(1, { maxWait: "3 seconds" })))))
      yield* TestClock.adjust(3_000)
      const error = yield* Fiber.join(timed)
      assert.strictEqual(error.reason, "RateLimited")
      assert.include(error.message, "no slot within the time budget")
      yield* Scope.close(holder, Exit.void)
      // the interrupted waiter and the timed-out one hold nothing
      yield* Effect.scoped(store.lease(lease(1, { onExceeded: "fail" })))
    }))

  it.effect("many waiters: never more than the limit at once, and every one served", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      let inFlight = 0
      let peak = 0
      const job = Effect.scoped(
        Effect.zipRight(
          store.lease(lease(3)),
          Effect.acquireUseRelease(
            Effect.sync(() => {
              inFlight++
              peak = Math.max(peak, inFlight)
            }),
            () => Effect.sleep(1_000),
            () => Effect.sync(() => inFlight--)
          )
        )
      )
      const all = yield* Effect.fork(Effect.all(Array.from({ length: 20 }, () => job), { concurrency: "unbounded" }))
      yield* TestClock.adjust(7_000)
      yield* Fiber.join(all)
      assert.strictEqual(peak, 3)
      assert.strictEqual(inFlight, 0)
    }))
})

describe("LimitStore.layerMemory: pauses", () => {
  it.effect("a pause lasts until its instant; a later pause wins, an earlier one does not shorten it", () =>
    Effect.gen(function*() {
      const store = yield* LimitStore.makeMemory
      assert.strictEqual(yield* store.pausedUntil("k"), 0)
      yield* store.pause("k", 2_000)
      yield* store.pause("k", 1_000)
      assert.strictEqual(yield* store.pausedUntil("k"), 2_000)
      assert.strictEqual(yield* store.pausedUntil("other"), 0)
      yield* TestClock.adjust(2_000)
      assert.strictEqual(yield* store.pausedUntil("k"), 0)
    }))

  it.effect("the layer gives one store to everyone who uses it", () =>
    Effect.gen(function*() {
      const first = yield* LimitStore
      const second = yield* LimitStore
      yield* first.pause("k", 5_000)
      assert.strictEqual(yield* second.pausedUntil("k"), 5_000)
    }).pipe(Effect.provide(LimitStore.layerMemory)))
})
