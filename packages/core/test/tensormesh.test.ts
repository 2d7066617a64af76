import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { OnDemandLayer, ServerlessLayer, Tensormesh } from "../src/index.js"
import * as F from "./support/fixtures.js"
import { json, mockTransport } from "./support/mock.js"

// One program written against `Tensormesh`, run on either surface by the layer alone.
const program = Effect.flatMap(Tensormesh, (tm) => Effect.map(tm.models.list(), (list) => [tm.surface, list] as const))

describe("Tensormesh", () => {
  it.effect("runs the same program on serverless and on-demand", () =>
    Effect.gen(function*() {
      const mock = mockTransport(() => json({ object: "list", data: [] }))
      const serverless = Tensormesh.serverless.pipe(
        Layer.provide(ServerlessLayer({ apiKey: Redacted.make(F.KEY) })),
        Layer.provide(mock.layer)
      )
      const onDemand = Tensormesh.onDemand.pipe(
        Layer.provide(OnDemandLayer({ baseUrl: "https://od.example/v1", userId: F.USER_ID })),
        Layer.provide(mock.layer)
      )
      const [a] = yield* Effect.provide(program, serverless)
      const [b] = yield* Effect.provide(program, onDemand)
      assert.strictEqual(a, "serverless")
      assert.strictEqual(b, "on-demand")
      assert.strictEqual(mock.seen[0].url, "https://serverless.tensormesh.ai/v1/models")
      assert.strictEqual(mock.seen[1].url, "https://od.example/v1/models")
      assert.strictEqual(mock.seen[1].headers["x-user-id"], F.USER_ID)
      assert.isUndefined(mock.seen[0].headers["x-user-id"])
    }))
})
