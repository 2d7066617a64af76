// chat.completions.parse and ChatTool.make against the local server's JSON mode and tool calls.
import { assert, describe, layer } from "@effect/vitest"
import { ChatMessage, ChatTool, Serverless, TensormeshTest, type UpstreamError } from "@tensormesh-effect/core"
import { Effect, Schema } from "effect"
import * as LocalServer from "../src/LocalServer.js"

const City = Schema.Struct({ city: Schema.String, population: Schema.Number })

const request = { model: "tensormesh/echo", messages: [ChatMessage.user("Tell me about Paris")] }

layer(LocalServer.serverlessLayer(), { excludeTestServices: true })("typed output", (it) => {
  describe("chat.completions.parse", () => {
    it.effect("JSON mode with the schema hint: decoded into message.parsed", () =>
      Effect.gen(function*() {
        const tm = yield* Serverless
        const server = yield* LocalServer.LocalServer
        const completion = yield* tm.chat.completions.parse(request, City, { schemaHint: true })
        const parsed = completion.choices[0].message.parsed
        assert.strictEqual(typeof parsed.city, "string")
        assert.strictEqual(typeof parsed.population, "number")
        const sent = (yield* server.requests).at(-1)?.body as any
        assert.deepStrictEqual(sent.response_format, { type: "json_object" })
        assert.strictEqual(sent.messages[0].role, "system")
      }))

    it.effect("content that does not match: InvalidOutput with issues and the text, not retryable", () =>
      Effect.gen(function*() {
        const tm = yield* Serverless
        const error = (yield* Effect.flip(tm.chat.completions.parse(request, City))) as UpstreamError
        assert.strictEqual(error._tag, "UpstreamError")
        assert.strictEqual(error.reason, "InvalidOutput")
        assert.isFalse(error.retryable)
        assert.deepStrictEqual(error.issues?.map((i) => i.path).sort(), [["city"], ["population"]])
        assert.isTrue(typeof error.body === "string" && error.body.startsWith("{"))
      }))

    it.effect("content that is not JSON: InvalidOutput (the test layer serves parse from create)", () =>
      Effect.gen(function*() {
        const fake = yield* Effect.provide(
          Serverless,
          TensormeshTest.layer({
            chat: { completions: { create: () => Effect.succeed(TensormeshTest.chatCompletion("x".repeat(10_000))) } }
          })
        )
        const error = (yield* Effect.flip(fake.chat.completions.parse(request, City))) as UpstreamError
        assert.strictEqual(error.reason, "InvalidOutput")
        assert.isBelow(String(error.body).length, 2100)
      }))
  })

  describe("ChatTool.make", () => {
    const weather = ChatTool.make({
      name: "weather",
      description: "The weather in a city",
      parameters: Schema.Struct({ city: Schema.String, days: Schema.Number })
    })

    it.effect("the wire definition carries the JSON Schema; the returned call's arguments decode", () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(weather.definition.function.parameters?.required, ["city", "days"])
        const tm = yield* Serverless
        const completion = yield* tm.chat.completions.create({ ...request, tools: [weather.definition] })
        const call = completion.choices[0].message.tool_calls?.[0]
        assert.isDefined(call)
        const args = yield* weather.decode(call!)
        assert.strictEqual(typeof args.city, "string")
        assert.strictEqual(typeof args.days, "number")
      }))

    it.effect("arguments that do not match: InvalidOutput naming the field", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(weather.decode(JSON.stringify({ city: 3, days: 1 })))
        assert.strictEqual(error.reason, "InvalidOutput")
        assert.deepStrictEqual(error.issues?.map((i) => i.path), [["city"]])
        const notJson = yield* Effect.flip(weather.decode("{city"))
        assert.strictEqual(notJson.reason, "InvalidOutput")
      }))
  })
})
