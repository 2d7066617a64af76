import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Random, Redacted, TestClock } from "effect"
import { type ClientOptions, Serverless, ServerlessLayer } from "../src/index.js"
import * as F from "./support/fixtures.js"
import { type Handler, json, mockTransport } from "./support/mock.js"

const key = Redacted.make(F.KEY)

// Jitter takes up to 25% off the backoff; a Random that always returns 0 makes the waits exact.
const noJitter = Random.make(0)
const fixedRandom = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.withRandom(effect, {
    ...noJitter,
    next: Effect.succeed(0)
  } as Random.Random)

const setup = (handler: Handler, options: ClientOptions = {}) => {
  const mock = mockTransport(handler)
  const layer = ServerlessLayer({ apiKey: key, ...options }).pipe(Layer.provide(mock.layer))
  const models = Effect.flatMap(Serverless, (tm) => tm.models.list()).pipe(Effect.provide(layer), fixedRandom)
  const chat = Effect.flatMap(
    Serverless,
    (tm) => tm.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] })
  ).pipe(Effect.provide(layer), fixedRandom)
  return { mock, models, chat }
}

/** Advances the clock in small steps so that every sleep in between fires. */
const advance = (millis: number) => TestClock.adjust(millis)

describe("retries", () => {
  it.effect("a 429 on a POST waits exactly Retry-After, then succeeds", () =>
    Effect.gen(function*() {
      const { chat, mock } = setup((_, n) =>
        n === 1 ? new Response("busy", { status: 429, headers: { "retry-after": "30" } }) : json(F.chatCompletion("ok"))
      )
      const fiber = yield* Effect.fork(chat)
      yield* advance(29_999)
      assert.strictEqual(mock.seen.length, 1)
      yield* advance(1)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(mock.seen.length, 2)
      assert.strictEqual(result.choices[0].message.content, "ok")
    }))

  it.effect("retry-after-ms wins over Retry-After", () =>
    Effect.gen(function*() {
      const { models, mock } = setup((_, n) =>
        n === 1
          ? new Response("", { status: 503, headers: { "retry-after-ms": "1500", "retry-after": "20" } })
          : json(F.models)
      )
      const fiber = yield* Effect.fork(models)
      yield* advance(1499)
      assert.strictEqual(mock.seen.length, 1)
      yield* advance(1)
      yield* Fiber.join(fiber)
      assert.strictEqual(mock.seen.length, 2)
    }))

  it.effect("Retry-After as an HTTP date is measured against the Clock", () =>
    Effect.gen(function*() {
      const { models, mock } = setup((_, n) =>
        n === 1
          ? new Response("", { status: 429, headers: { "retry-after": new Date(10_000).toUTCString() } })
          : json(F.models)
      )
      const fiber = yield* Effect.fork(models)
      yield* advance(9_999)
      assert.strictEqual(mock.seen.length, 1)
      yield* advance(1)
      yield* Fiber.join(fiber)
      assert.strictEqual(mock.seen.length, 2)
    }))

  it.effect("GET 5xx retries with exponential backoff (0.5 s, 1 s) and stops at maxRetries", () =>
    Effect.gen(function*() {
      const { models, mock } = setup(() => new Response("down", { status: 500 }), { maxRetries: 2 })
      const fiber = yield* Effect.fork(Effect.flip(models))
      yield* advance(499)
      assert.strictEqual(mock.seen.length, 1)
      yield* advance(1)
      assert.strictEqual(mock.seen.length, 2)
      yield* advance(999)
      assert.strictEqual(mock.seen.length, 2)
      yield* advance(1)
      assert.strictEqual(mock.seen.length, 3)
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "ServerError")
      assert.strictEqual(mock.seen.length, 3)
    }))

  it.effect("jitter takes at most 25% off the backoff", () =>
    Effect.gen(function*() {
      const mock = mockTransport((_, n) => n === 1 ? new Response("", { status: 502 }) : json(F.models))
      const models = Effect.flatMap(Serverless, (tm) => tm.models.list()).pipe(
        Effect.provide(ServerlessLayer().pipe(Layer.provide(mock.layer)))
      )
      const fiber = yield* Effect.fork(models)
      yield* advance(374)
      assert.strictEqual(mock.seen.length, 1)
      yield* advance(126)
      yield* Fiber.join(fiber)
      assert.strictEqual(mock.seen.length, 2)
    }))

  it.effect("a POST is not retried on 500, 502, 504 or a timeout", () =>
    Effect.gen(function*() {
      for (const status of [500, 502, 504, 408]) {
        const { chat, mock } = setup(() => new Response("", { status }))
        const error = yield* Effect.flip(chat)
        assert.strictEqual(error.status, status)
        assert.strictEqual(mock.seen.length, 1)
      }
      const { chat, mock } = setup(() => undefined, { timeout: "1 second" })
      const fiber = yield* Effect.fork(Effect.flip(chat))
      yield* advance(1000)
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "Timeout")
      assert.strictEqual(mock.seen.length, 1)
      assert.isTrue(mock.seen[0].signal.aborted)
    }))

  it.effect("no retry on 400, 401, 403, 404, 422", () =>
    Effect.gen(function*() {
      for (const status of [400, 401, 403, 404, 422]) {
        const { models, mock } = setup(() => new Response("", { status }))
        yield* Effect.flip(models)
        assert.strictEqual(mock.seen.length, 1, `status ${status}`)
      }
    }))

  it.effect("a POST is retried when the connection was refused (nothing was sent)", () =>
    Effect.gen(function*() {
      let calls = 0
      const { chat } = setup(() => {
        calls++
        if (calls === 1) throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } })
        return json(F.chatCompletion("ok"))
      })
      const fiber = yield* Effect.fork(chat)
      yield* advance(500)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.choices[0].message.content, "ok")
      assert.strictEqual(calls, 2)
    }))

  it.effect("a timed-out GET is retried, each attempt aborted, within the total budget", () =>
    Effect.gen(function*() {
      const { models, mock } = setup(() => undefined, { timeout: "2 seconds", totalTimeout: "5 seconds" })
      const fiber = yield* Effect.fork(Effect.flip(models))
      yield* advance(2000) // attempt 1 times out
      assert.strictEqual(mock.seen.length, 1)
      assert.isTrue(mock.seen[0].signal.aborted)
      yield* advance(500) // backoff, attempt 2 starts at 2.5 s
      assert.strictEqual(mock.seen.length, 2)
      yield* advance(2000) // attempt 2 times out at 4.5 s; 1 s backoff would end past the 5 s budget
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "Timeout")
      assert.strictEqual(mock.seen.length, 2)
    }))

  it.effect("a Retry-After longer than 60 s is not waited for", () =>
    Effect.gen(function*() {
      const { models, mock } = setup(() => new Response("", { status: 429, headers: { "retry-after": "3600" } }))
      const error = yield* Effect.flip(models)
      assert.strictEqual(
        error._tag === "UpstreamError" && error.retryAfter && Duration.toMillis(error.retryAfter),
        3_600_000
      )
      assert.strictEqual(mock.seen.length, 1)
    }))

  it.effect("per-call options override the layer's", () =>
    Effect.gen(function*() {
      const mock = mockTransport(() => new Response("", { status: 500 }))
      const layer = ServerlessLayer({ maxRetries: 5 }).pipe(Layer.provide(mock.layer))
      yield* Effect.flip(
        Effect.flatMap(Serverless, (tm) => tm.models.list({ maxRetries: 0, headers: { "x-request-id": "abc" } })).pipe(
          Effect.provide(layer)
        )
      )
      assert.strictEqual(mock.seen.length, 1)
      assert.strictEqual(mock.seen[0].headers["x-request-id"], "abc")
    }))
})
