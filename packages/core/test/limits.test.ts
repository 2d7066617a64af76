// `limits` through the public API, on the TestClock, with the memory store: requests, tokens and concurrency per
// layer and per call, wait or fail, the wait against totalTimeout, shared backoff after a 429, slots held by
// streams until they end (however they end), the span attribute and the metric, and the keys (never the API key).
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, Metric, MetricState, Option, Redacted, Stream, TestClock } from "effect"
import {
  type CallOptions,
  type ClientOptions,
  type Limits,
  LimitStore,
  Serverless,
  ServerlessLayer,
  type TensormeshError,
  type UpstreamError
} from "../src/index.js"
import type { InferenceClient } from "../src/InferenceClient.js"
import { limitWait } from "../src/internal/limits.js"
import * as F from "./support/fixtures.js"
import { data, type Handler, json, mockTransport, sse, sseThenStall } from "./support/mock.js"
import { record } from "./support/recorder.js"

const key = Redacted.make(F.KEY)
const messages = [{ role: "user" as const, content: "hello" }]
const chatRequest = { model: "m", messages }

const ok = () => json(F.chatCompletion("ok"))

const client = (handler: Handler, options: ClientOptions = {}, store?: Layer.Layer<LimitStore>) => {
  const mock = mockTransport(handler)
  const base = ServerlessLayer({ apiKey: key, ...options }).pipe(Layer.provide(mock.layer))
  const layer = store === undefined ? base : base.pipe(Layer.provide(store))
  const use = <A, E>(f: (tm: InferenceClient) => Effect.Effect<A, E>) =>
    Effect.flatMap(Serverless, f).pipe(Effect.provide(layer))
  return { mock, layer, use }
}

const chat = (tm: InferenceClient, options?: Parameters<InferenceClient["chat"]["completions"]["create"]>[1]) =>
  tm.chat.completions.create(chatRequest, options)

const upstream = (exit: Exit.Exit<unknown, TensormeshError>): UpstreamError => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  const error = Exit.isFailure(exit) ? Option.getOrThrow(Exit.causeOption(exit)) : undefined
  assert.strictEqual(error?._tag, "Fail")
  const failure = (error as { error: TensormeshError }).error
  assert.strictEqual(failure._tag, "UpstreamError")
  return failure as UpstreamError
}

/** Lets forked fibers run without moving the clock. */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 20; i++) yield* TestClock.adjust(0)
})

describe("limits: requests and tokens", () => {
  it.effect("requests per window: the next call is sent exactly when the window ends", () =>
    Effect.gen(function*() {
      const { mock, use } = client(ok, { limits: { requests: { limit: 2, window: "10 seconds" } } })
      const fiber = yield* Effect.fork(use((tm) => Effect.all([chat(tm), chat(tm), chat(tm)])))
      yield* settle
      assert.strictEqual(mock.seen.length, 2)
      yield* TestClock.adjust(9_999)
      assert.strictEqual(mock.seen.length, 2)
      yield* TestClock.adjust(1)
      yield* Fiber.join(fiber)
      assert.strictEqual(mock.seen.length, 3)
    }))

  it.effect("fail mode: RateLimited with retryAfter, nothing sent, not retried", () =>
    Effect.gen(function*() {
      const { mock, use } = client(ok, {
        maxRetries: 5,
        limits: { requests: { limit: 1, window: "1 minute" }, onExceeded: "fail" }
      })
      const exit = yield* use((tm) => Effect.zipRight(chat(tm), Effect.exit(chat(tm))))
      const error = upstream(exit)
      assert.strictEqual(error.reason, "RateLimited")
      assert.strictEqual(error.status, undefined)
      assert.strictEqual(Duration.toMillis(error.retryAfter!), 60_000)
      assert.strictEqual(mock.seen.length, 1)
    }))

  it.effect("the wait counts against totalTimeout: a wait that does not fit fails at once", () =>
    Effect.gen(function*() {
      const { mock, use } = client(ok, {
        totalTimeout: "5 seconds",
        limits: { requests: { limit: 1, window: "1 minute" } }
      })
      const exit = yield* use((tm) => Effect.zipRight(chat(tm), Effect.exit(chat(tm))))
      const error = upstream(exit)
      assert.strictEqual(error.reason, "RateLimited")
      assert.include(error.message, "would exceed the time budget")
      assert.strictEqual(mock.seen.length, 1)
      // a wait that fits leaves the attempt only what is left of the budget: 3 s waited of 5, so 2 s to answer
      const slow = client(() => undefined, {
        totalTimeout: "5 seconds",
        limits: { requests: { limit: 1, window: "3 seconds" } }
      })
      const fiber = yield* Effect.fork(slow.use((tm) => Effect.zipRight(Effect.exit(chat(tm)), Effect.exit(chat(tm)))))
      yield* TestClock.adjust(5_000) // the first times out at 5 s
      yield* settle
      assert.strictEqual(slow.mock.seen.length, 2) // the second was sent at 5 s (the window of 3 s was over)
      yield* TestClock.adjust(4_999)
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust(1)
      assert.strictEqual(upstream(yield* Fiber.join(fiber)).reason, "Timeout")
    }))

  it.effect("tokens: the estimate (body / 4 + max_tokens) is taken, then corrected by the reported usage", () =>
    Effect.gen(function*() {
      // every response reports 92 tokens; the window holds 200
      const { mock, use } = client(ok, { limits: { tokens: { limit: 200, window: "1 minute" } } })
      const fiber = yield* Effect.fork(use((tm) =>
        Effect.gen(function*() {
          yield* tm.chat.completions.create({ model: "m", messages, max_completion_tokens: 150 }) // ~172, then 92
          // ~102: fits only because the first was corrected down to 92 (172 + 102 > 200)
          yield* tm.chat.completions.create({ model: "m", messages, max_completion_tokens: 80 })
          assert.strictEqual(mock.seen.length, 2)
          // 92 + 92 (the second corrected down too) + ~43 > 200: the next window
          yield* tm.chat.completions.create({ model: "m", messages, max_completion_tokens: 25 })
        })
      ))
      yield* settle
      assert.strictEqual(mock.seen.length, 2)
      yield* TestClock.adjust(59_999)
      assert.strictEqual(mock.seen.length, 2)
      yield* TestClock.adjust(1)
      yield* Fiber.join(fiber)
      assert.strictEqual(mock.seen.length, 3)
    }))

  it.effect("per call: fields replace the layer's; a layer without limits can limit one call", () =>
    Effect.gen(function*() {
      const { mock, use } = client(ok)
      const once: CallOptions = { limits: { requests: { limit: 1, window: "1 minute" }, onExceeded: "fail" } }
      const exit = yield* use((tm) => Effect.zipRight(chat(tm, once), Effect.exit(chat(tm, once))))
      assert.strictEqual(upstream(exit).reason, "RateLimited")
      assert.strictEqual(mock.seen.length, 1)
      const layered = client(ok, { limits: { requests: { limit: 1, window: "1 minute" } } })
      const failing = yield* layered.use((tm) =>
        Effect.zipRight(chat(tm), Effect.exit(chat(tm, { limits: { onExceeded: "fail" } })))
      )
      assert.strictEqual(upstream(failing).reason, "RateLimited")
    }))

  it.effect("invalid limits fail the layer, or the call, with InvalidConfig", () =>
    Effect.gen(function*() {
      const cases: Array<[unknown, string]> = [
        [{ requests: { limit: 0, window: "1 second" } }, "limits.requests.limit"],
        [{ tokens: { limit: 10, window: "forever" } }, "limits.tokens.window"],
        [{ tokens: { limit: 10, window: Duration.infinity } }, "limits.tokens.window"],
        [{ concurrency: 1.5 }, "limits.concurrency"],
        [{ concurrency: 2, onExceeded: "queue" }, "limits.onExceeded"]
      ]
      for (const [limits, expected] of cases) {
        const error = yield* Effect.flip(client(ok, { limits: limits as never }).use((tm) => chat(tm)))
        assert.strictEqual(error._tag, "ValidationError")
        assert.include(error.message, expected)
        const perCall = yield* Effect.flip(client(ok).use((tm) => chat(tm, { limits: limits as never })))
        assert.include(perCall.message, expected)
      }
    }))
})

describe("limits: concurrency", () => {
  const streamBody = () => sse([data(F.chunk({ content: "hi" })), data(F.usageChunk), "data: [DONE]\n\n"])

  it.effect("a stream holds its slot until it ends; the next call is sent then", () =>
    Effect.gen(function*() {
      let release: (() => void) | undefined
      const { mock, use } = client(
        (request) =>
          request.json?.stream === true
            ? new Promise<Response>((resolve) => {
              release = () => resolve(streamBody())
            })
            : ok(),
        { limits: { concurrency: 1 } }
      )
      const fiber = yield* Effect.fork(use((tm) =>
        Effect.all([
          Stream.runCollect(tm.chat.completions.stream(chatRequest)),
          Effect.zipRight(Effect.sleep("1 second"), chat(tm))
        ], { concurrency: "unbounded" })
      ))
      yield* settle
      yield* TestClock.adjust(5_000)
      assert.strictEqual(mock.seen.length, 1) // the create waits for the stream's slot
      release!()
      yield* settle
      yield* Fiber.join(fiber)
      assert.strictEqual(mock.seen.length, 2)
    }))

  it.effect("slots are freed by streams that finish, fail mid-way and are interrupted", () =>
    Effect.gen(function*() {
      const { mock, use } = client((request, n) => {
        if (n === 1) return streamBody()
        if (n === 2) return sse([data(F.chunk({ content: "a" })), "event: error\ndata: {\"error\":\"boom\"}\n\n"])
        if (n === 3 || n === 4) return sseThenStall([data(F.chunk({ content: "b" }))], request.signal)
        return ok()
      }, { limits: { concurrency: 1, onExceeded: "fail" } })
      const exit = yield* use((tm) =>
        Effect.gen(function*() {
          yield* Stream.runDrain(tm.chat.completions.stream(chatRequest))
          const failed = yield* Effect.exit(Stream.runDrain(tm.chat.completions.stream(chatRequest)))
          assert.strictEqual(upstream(failed).reason, "StreamError")
          yield* Stream.runDrain(Stream.take(tm.chat.completions.stream(chatRequest), 1))
          const running = yield* Effect.fork(Stream.runDrain(tm.chat.completions.stream(chatRequest)))
          yield* settle
          const busy = yield* Effect.exit(chat(tm))
          assert.strictEqual(upstream(busy).reason, "RateLimited")
          assert.include(upstream(busy).message, "concurrency limit of 1 reached")
          yield* Fiber.interrupt(running)
          return yield* Effect.exit(chat(tm))
        })
      )
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(mock.seen.length, 5)
    }))

  it.effect("an interrupted wait for a slot sends nothing and takes nothing", () =>
    Effect.gen(function*() {
      const { mock, use } = client((request) => sseThenStall([data(F.chunk({ content: "b" }))], request.signal), {
        limits: { concurrency: 1 }
      })
      yield* use((tm) =>
        Effect.gen(function*() {
          const holder = yield* Effect.fork(Stream.runDrain(tm.chat.completions.stream(chatRequest)))
          yield* settle
          const waiter = yield* Effect.fork(Stream.runDrain(tm.chat.completions.stream(chatRequest)))
          yield* TestClock.adjust(1_000)
          yield* Fiber.interrupt(waiter)
          assert.strictEqual(mock.seen.length, 1)
          yield* Fiber.interrupt(holder)
          const next = yield* Effect.fork(Stream.runDrain(tm.chat.completions.stream(chatRequest)))
          yield* settle
          assert.strictEqual(mock.seen.length, 2)
          yield* Fiber.interrupt(next)
        })
      )
    }))

  it.effect("a retry gives its slot back before it waits: concurrency 1 does not block its own retry", () =>
    Effect.gen(function*() {
      const { mock, use } = client(
        (_, n) => n === 1 ? new Response("busy", { status: 503, headers: { "retry-after": "1" } }) : ok(),
        { limits: { concurrency: 1 } }
      )
      const fiber = yield* Effect.fork(use((tm) => chat(tm)))
      yield* TestClock.adjust(1_000)
      yield* settle
      yield* Fiber.join(fiber)
      assert.strictEqual(mock.seen.length, 2)
    }))
})

describe("limits: shared backoff, keys, observability", () => {
  it.effect("a 429 with Retry-After pauses every client on the store, not only the one that saw it", () =>
    Effect.gen(function*() {
      const store = LimitStore.layerMemory
      let first = true
      const handler: Handler = () => {
        if (first) {
          first = false
          return new Response("slow down", { status: 429, headers: { "retry-after": "2" } })
        }
        return ok()
      }
      const limits = { concurrency: 10 }
      const mock = mockTransport(handler)
      const a = ServerlessLayer({ apiKey: key, limits, maxRetries: 0 })
      const b = ServerlessLayer({ apiKey: key, limits })
      const both = Layer.mergeAll(
        Layer.effect(AClient, Serverless).pipe(Layer.provide(a)),
        Layer.effect(BClient, Serverless).pipe(Layer.provide(b))
      ).pipe(Layer.provide(mock.layer), Layer.provide(store))
      yield* Effect.gen(function*() {
        const clientA = yield* AClient
        const clientB = yield* BClient
        const failed = yield* Effect.exit(chat(clientA))
        assert.strictEqual(upstream(failed).reason, "RateLimited")
        assert.strictEqual(upstream(failed).status, 429)
        const fiber = yield* Effect.fork(chat(clientB))
        yield* settle
        assert.strictEqual(mock.seen.length, 1) // B waits for the pause
        yield* TestClock.adjust(1_999)
        assert.strictEqual(mock.seen.length, 1)
        yield* TestClock.adjust(1)
        yield* Fiber.join(fiber)
        assert.strictEqual(mock.seen.length, 2)
      }).pipe(Effect.provide(both))
    }))

  it.effect("a server's pause for everyone is capped at 60 s, whatever Retry-After says", () =>
    Effect.gen(function*() {
      let first = true
      const mock = mockTransport(() => {
        if (!first) return ok()
        first = false
        return new Response("slow down", { status: 429, headers: { "retry-after": "3600" } })
      })
      const limits = { concurrency: 10 }
      const both = Layer.mergeAll(
        Layer.effect(AClient, Serverless).pipe(Layer.provide(ServerlessLayer({ apiKey: key, limits, maxRetries: 0 }))),
        Layer.effect(BClient, Serverless).pipe(Layer.provide(ServerlessLayer({ apiKey: key, limits })))
      ).pipe(Layer.provide(mock.layer), Layer.provide(LimitStore.layerMemory))
      yield* Effect.gen(function*() {
        yield* Effect.exit(chat(yield* AClient))
        const fiber = yield* Effect.fork(chat(yield* BClient))
        yield* TestClock.adjust(59_999)
        assert.strictEqual(mock.seen.length, 1)
        yield* TestClock.adjust(1)
        yield* Fiber.join(fiber)
        assert.strictEqual(mock.seen.length, 2)
      }).pipe(Effect.provide(both))
    }))

  it.effect("keys: surface, a hash of the API key (never the key) and the model; other keys do not share", () =>
    Effect.gen(function*() {
      const keys: Array<string> = []
      const recording = Layer.effect(
        LimitStore,
        Effect.map(LimitStore.makeMemory, (store): LimitStore.Service => ({
          ...store,
          acquire: (budget) => {
            keys.push(budget.key)
            return store.acquire(budget)
          },
          pausedUntil: (k) => {
            keys.push(k)
            return store.pausedUntil(k)
          }
        }))
      )
      const mock = mockTransport(ok)
      const limits: Limits = { requests: { limit: 1, window: "1 minute" }, onExceeded: "fail" }
      const one = ServerlessLayer({ apiKey: key, limits })
      const other = ServerlessLayer({ apiKey: Redacted.make("another-key"), limits })
      const both = Layer.mergeAll(
        Layer.effect(AClient, Serverless).pipe(Layer.provide(one)),
        Layer.effect(BClient, Serverless).pipe(Layer.provide(other))
      ).pipe(Layer.provide(mock.layer), Layer.provide(recording))
      yield* Effect.gen(function*() {
        yield* chat(yield* AClient)
        yield* chat(yield* BClient) // another key: its own budget
        yield* (yield* AClient).chat.completions.create({ model: "other-model", messages }) // another model too
        assert.strictEqual(upstream(yield* Effect.exit(chat(yield* AClient))).reason, "RateLimited")
      }).pipe(Effect.provide(both))
      assert.isAbove(keys.length, 0)
      for (const k of keys) {
        assert.notInclude(k, F.KEY)
        assert.notInclude(k, "another-key")
        assert.match(k, /^serverless:[0-9a-f]{32}:(m|other-model)(:requests)?$/)
      }
      assert.strictEqual(new Set(keys.map((k) => k.split(":")[1])).size, 2)
    }))

  it.effect("the wait is on the call's span and in the tensormesh_limit_wait metric", () =>
    Effect.gen(function*() {
      const recorder = record()
      const before = yield* Metric.value(Metric.tagged(limitWait, "surface", "serverless"))
      const { use } = client(ok, { limits: { requests: { limit: 1, window: "3 seconds" } } })
      const fiber = yield* Effect.fork(use((tm) => Effect.zipRight(chat(tm), chat(tm))).pipe(recorder.install))
      yield* TestClock.adjust(3_000)
      yield* Fiber.join(fiber)
      const spans = recorder.recording.spans.filter((s) =>
        s.attributes.get("tensormesh.method") === "chat.completions.create"
      )
      assert.strictEqual(spans.length, 2)
      assert.strictEqual(spans[0].attributes.get("tensormesh.limits.wait_ms"), undefined)
      assert.strictEqual(spans[1].attributes.get("tensormesh.limits.wait_ms"), 3_000)
      const after = yield* Metric.value(Metric.tagged(limitWait, "surface", "serverless"))
      assert.strictEqual(after.count - before.count, 1)
      assert.isTrue(MetricState.isHistogramState(after))
    }))
})

class AClient extends Effect.Tag("test/AClient")<AClient, InferenceClient>() {}
class BClient extends Effect.Tag("test/BClient")<BClient, InferenceClient>() {}
