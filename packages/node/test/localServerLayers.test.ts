// The one-line test layers: a local server plus a client pointed at it.
import { assert, describe, it } from "@effect/vitest"
import { ChatStream, OnDemand, Serverless } from "@tensormesh-effect/core"
import { Effect, Layer, Stream } from "effect"
import * as LocalServer from "../src/LocalServer.js"

describe("LocalServer client layers", () => {
  it.scopedLive("serverlessLayer: a Serverless client on a fresh server", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(LocalServer.serverlessLayer())
      const tm = yield* Effect.provide(Serverless, context)
      const server = yield* Effect.provide(LocalServer.LocalServer, context)
      assert.strictEqual(server.mode, "serverless")
      const text = yield* tm.chat.completions.stream({
        model: "tensormesh/think-leak",
        messages: [{ role: "user", content: "ping" }]
      }).pipe(ChatStream.textDeltas, Stream.mkString)
      assert.strictEqual(text, "You said: ping")
    }))

  it.scopedLive("onDemandLayer: X-User-Id accepted, restricted ids and keys honoured", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(LocalServer.onDemandLayer({
        apiKeys: ["ak-only"],
        userIds: ["1f0c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"]
      }))
      const tm = yield* Effect.provide(OnDemand, context)
      const completion = yield* tm.chat.completions.create({
        model: "tensormesh/echo",
        messages: [{ role: "user", content: "hi" }]
      })
      assert.strictEqual(completion.choices[0].message.content, "You said: hi")
    }))
})
