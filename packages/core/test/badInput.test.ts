// Bad input, generated: every invalid request fails with a ValidationError that names the offending field, and no
// request reaches the network; invalid layer settings fail at construction without echoing the value.
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc, Layer, Redacted } from "effect"
import { OnDemand, OnDemandLayer, Serverless, ServerlessLayer } from "../src/index.js"
import { json, mockTransport } from "./support/mock.js"

const valid = {
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  temperature: 0.5,
  max_tokens: 16,
  response_format: { type: "json_object" }
}

/** For each field: values that must be rejected. */
const badValues: Record<string, ReadonlyArray<unknown>> = {
  model: [undefined, 3, "", null, ["m"]],
  messages: [undefined, [], "hi", [{ role: "robot", content: "x" }], [{ content: "x" }], [{
    role: "user",
    content: 5
  }]],
  temperature: [-0.1, 2.5, "hot", Number.NaN],
  top_p: [1.5, -1],
  max_tokens: [0, -5, 1.5, "16"],
  n: [0, 2.5],
  seed: [1.5, "1"],
  frequency_penalty: [3, -3],
  response_format: [{ type: "json_schema", json_schema: { name: "x" } }, { type: "json_object", schema: {} }, {
    type: "yaml"
  }, "json"],
  tools: [[], [{ type: "function", function: { name: "f" } }], [{
    type: "function",
    function: { name: "", description: "d" }
  }]],
  tool_choice: ["always", { type: "function" }],
  stream: [true, false],
  unknown_field: [1, "x"],
  extraBody: [{ model: "x" }, { messages: [] }, "not an object"]
}

const mutation = fc.constantFrom(...Object.keys(badValues)).chain((field) =>
  fc.constantFrom(...badValues[field]).map((value) => ({ field, value }))
)

describe("generated invalid requests", () => {
  it.live("fail with ValidationError naming the field, and send nothing", () =>
    Effect.gen(function*() {
      const mock = mockTransport(() => json({}))
      const tm = yield* Effect.provide(
        Serverless,
        ServerlessLayer({ apiKey: Redacted.make("ak-x") }).pipe(Layer.provide(mock.layer))
      )
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
            const request: Record<string, unknown> = { ...valid }
            for (const { field, value } of mutations) {
              if (value === undefined) delete request[field]
              else request[field] = value
            }
            const exit = await Effect.runPromiseExit(tm.chat.completions.create(request as never))
            assert.isTrue(Exit.isFailure(exit))
            const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
            assert.strictEqual(error?._tag, "ValidationError")
            assert.strictEqual(error?.reason, "InvalidRequest")
            const detail = error?.detail ?? ""
            assert.isTrue(
              mutations.some(({ field }) => detail.includes(field === "extraBody" ? "extraBody" : field)),
              `${detail} names one of ${mutations.map((m) => m.field).join(", ")}`
            )
            assert.strictEqual(mock.seen.length, 0)
          }),
          { numRuns: 300 }
        )
      )
    }))

  it.effect("every namespace validates its request", () =>
    Effect.gen(function*() {
      const mock = mockTransport(() => json({}))
      const run = <A>(f: (tm: any) => Effect.Effect<A, any>) =>
        Effect.flip(
          Effect.flatMap(Serverless, f).pipe(
            Effect.provide(ServerlessLayer({ apiKey: Redacted.make("ak-x") }).pipe(Layer.provide(mock.layer)))
          )
        )
      const errors = yield* Effect.all([
        run((tm) => tm.completions.create({ model: "m" })),
        run((tm) => tm.completions.create({ model: "m", prompt: "x", max_tokens: 0 })),
        run((tm) => tm.responses.create({ model: "m", input: [] })),
        run((tm) => tm.responses.create({ model: "m", input: "x", text: { format: { type: "json_schema" } } })),
        run((tm) => tm.tokenize.create({ model: "m" })),
        run((tm) => tm.detokenize.create({ model: "m", tokens: [1.5] })),
        run((tm) => tm.detokenize.create({ model: "m", tokens: "1 2" }))
      ])
      for (const error of errors) {
        assert.strictEqual(error._tag, "ValidationError")
        assert.strictEqual(error.reason, "InvalidRequest")
      }
      assert.strictEqual(mock.seen.length, 0)
    }))
})

describe("generated invalid settings", () => {
  const build = <A, E>(layer: Layer.Layer<A, E, HttpClient.HttpClient>) =>
    Effect.runPromiseExit(
      Layer.build(layer.pipe(Layer.provide(mockTransport(() => undefined).layer))).pipe(Effect.scoped)
    )

  it.live("non-UUID user ids are rejected without echoing them", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.string({ minLength: 1 }).filter((s) => !/^[0-9a-f-]{36}$/i.test(s.trim()) && s.trim() !== ""),
          async (userId) => {
            const exit = await build(OnDemandLayer({ baseUrl: "https://x.test/v1", userId }))
            assert.isTrue(Exit.isFailure(exit))
            const text = JSON.stringify(exit)
            assert.include(text, "userId must be a UUID")
            if (userId.length > 8) assert.notInclude(text, JSON.stringify(userId).slice(1, -1))
          }
        ),
        { numRuns: 200 }
      )
    ))

  it.live("base URLs with CR/LF, credentials, other schemes, queries are rejected", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.tuple(fc.webUrl(), fc.constantFrom("\r\n", "\n", "\r", "\u0000", " ")).map(([u, bad]) => `${u}${bad}x`),
            fc.tuple(fc.webSegment(), fc.webSegment()).map(([user, pw]) =>
              `https://${user || "u"}:${pw || "p"}@h.test/v1`
            ),
            fc.constantFrom("ftp://h.test/v1", "file:///etc/passwd", "javascript:alert(1)", "h.test/v1"),
            fc.webSegment().map((q) => `https://h.test/v1?key=${q}`)
          ),
          async (baseUrl) => {
            const exit = await build(ServerlessLayer({ baseUrl }))
            assert.isTrue(Exit.isFailure(exit), baseUrl)
            assert.include(JSON.stringify(exit), "InvalidConfig")
          }
        ),
        { numRuns: 200 }
      )
    ))

  it.effect("the on-demand layer requires a base URL and a user id", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.promise(() => build(OnDemandLayer({ baseUrl: "https://x.test/v1" } as never)))
      assert.include(JSON.stringify(exit), "userId is required")
      assert.isTrue(Exit.isFailure(exit))
      const ok = yield* Effect.promise(() =>
        build(OnDemandLayer({ baseUrl: "https://x.test/v1", userId: "9e107d9d-372b-4b6d-8f3e-0d1c2b3a4f5e" }))
      )
      assert.isTrue(Exit.isSuccess(ok))
      void OnDemand
    }))
})
