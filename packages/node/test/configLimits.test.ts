// TENSORMESH_LIMIT_* in the Node loader: each field of the `limits` option, else its variable; bad values name the
// variable and never echo the value.
import { assert, describe, it } from "@effect/vitest"
import { Serverless, type UpstreamError } from "@tensormesh-effect/core"
import { ConfigProvider, Effect, Exit, Fiber, Layer, Redacted, Stream } from "effect"
import { resolveLimits } from "../src/internal/config/limits.js"
import * as LocalServer from "../src/LocalServer.js"
import * as NodeTensormesh from "../src/NodeTensormesh.js"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("TENSORMESH_LIMIT_*", () => {
  it.effect("nothing set: no limits", () =>
    Effect.gen(function*() {
      assert.isUndefined(yield* resolveLimits(undefined).pipe(withEnv({})))
    }))

  it.effect("every variable, windows in seconds (60 by default)", () =>
    Effect.gen(function*() {
      const limits = yield* resolveLimits(undefined).pipe(withEnv({
        TENSORMESH_LIMIT_REQUESTS: "600",
        TENSORMESH_LIMIT_TOKENS: "100000",
        TENSORMESH_LIMIT_TOKENS_WINDOW_SECONDS: "0.5",
        TENSORMESH_LIMIT_CONCURRENCY: "8",
        TENSORMESH_LIMIT_ON_EXCEEDED: "fail"
      }))
      assert.deepStrictEqual(limits, {
        requests: { limit: 600, window: "60000 millis" },
        tokens: { limit: 100000, window: "500 millis" },
        concurrency: 8,
        onExceeded: "fail"
      })
    }))

  it.effect("the option's fields win over the variables, field by field", () =>
    Effect.gen(function*() {
      const limits = yield* resolveLimits({ concurrency: 2, requests: { limit: 5, window: "1 second" } }).pipe(
        withEnv({ TENSORMESH_LIMIT_CONCURRENCY: "8", TENSORMESH_LIMIT_TOKENS: "1000" })
      )
      assert.deepStrictEqual(limits, {
        requests: { limit: 5, window: "1 second" },
        tokens: { limit: 1000, window: "60000 millis" },
        concurrency: 2
      })
    }))

  it.effect("bad values fail with InvalidConfig naming the variable, never the value", () =>
    Effect.gen(function*() {
      const cases: Array<[Record<string, string>, string]> = [
        [{ TENSORMESH_LIMIT_REQUESTS: "lots-SECRET" }, "TENSORMESH_LIMIT_REQUESTS"],
        [{ TENSORMESH_LIMIT_REQUESTS: "0" }, "TENSORMESH_LIMIT_REQUESTS"],
        [{ TENSORMESH_LIMIT_CONCURRENCY: "1.5" }, "TENSORMESH_LIMIT_CONCURRENCY"],
        [{ TENSORMESH_LIMIT_TOKENS: "10", TENSORMESH_LIMIT_TOKENS_WINDOW_SECONDS: "-1" }, "WINDOW_SECONDS"],
        [{ TENSORMESH_LIMIT_REQUESTS_WINDOW_SECONDS: "10" }, "is set without TENSORMESH_LIMIT_REQUESTS"],
        [{ TENSORMESH_LIMIT_ON_EXCEEDED: "SECRET" }, "must be wait or fail"]
      ]
      for (const [env, expected] of cases) {
        const error = yield* Effect.flip(resolveLimits(undefined).pipe(withEnv(env)))
        assert.strictEqual(error.reason, "InvalidConfig")
        assert.include(error.message, expected)
        assert.notInclude(error.message, "SECRET")
      }
    }))
})

describe("the Node layers apply them", () => {
  it.scopedLive("TENSORMESH_LIMIT_CONCURRENCY=1 with ON_EXCEEDED=fail: a second call while a stream runs fails", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make({ tokenDelay: "30 millis" })
      const layer = NodeTensormesh.serverless({ baseUrl: server.baseUrl, apiKey: Redacted.make("k") }).pipe(
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(
          new Map([["TENSORMESH_LIMIT_CONCURRENCY", "1"], ["TENSORMESH_LIMIT_ON_EXCEEDED", "fail"]])
        )))
      )
      const request = { model: "tensormesh/echo", messages: [{ role: "user" as const, content: "one two three" }] }
      yield* Effect.gen(function*() {
        const tm = yield* Serverless
        const stream = yield* Effect.fork(Stream.runDrain(tm.chat.completions.stream(request)))
        yield* Effect.sleep("60 millis")
        const busy = yield* Effect.exit(tm.chat.completions.create(request))
        assert.isTrue(Exit.isFailure(busy))
        const error = Exit.isFailure(busy) ? (busy.cause as { error?: UpstreamError }).error : undefined
        assert.strictEqual(error?.reason, "RateLimited")
        yield* Fiber.join(stream)
        yield* tm.chat.completions.create(request) // the slot is free again
      }).pipe(Effect.provide(layer))
    }))
})
