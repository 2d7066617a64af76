import { assert, layer } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as LocalServer from "../src/LocalServer.js"
import { KEY } from "./support/http.js"

const stream = (server: LocalServer.Service) =>
  Effect.promise(async () => {
    const response = await fetch(`${server.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "tensormesh/echo",
        stream: true,
        messages: [{ role: "user", content: "one two three" }]
      })
    })
    return response.text()
  })

layer(LocalServer.layer({ tokenDelay: "30 millis" }), { excludeTestServices: true })("LocalServer.inFlight", (it) => {
  it.effect("counts requests until their response ends, and keeps the peak", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.LocalServer
      assert.deepStrictEqual(yield* server.inFlight, { current: 0, peak: 0 })
      const streams = yield* Effect.fork(Effect.all([stream(server), stream(server), stream(server)], {
        concurrency: "unbounded"
      }))
      let seen = 0
      for (let i = 0; i < 100 && seen < 3; i++) {
        yield* Effect.sleep("5 millis")
        seen = (yield* server.inFlight).current
      }
      assert.strictEqual(seen, 3)
      yield* Fiber.join(streams)
      yield* Effect.sleep("20 millis")
      assert.deepStrictEqual(yield* server.inFlight, { current: 0, peak: 3 })
    }))
})
