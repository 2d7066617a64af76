// ValidationError.issues: one entry per real problem of a request, the field a server's 400 / 422 names, the
// setting of a config failure; errors serialise small and say their message once.
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import * as util from "node:util"
import { type ClientOptions, Serverless, ServerlessLayer, type TensormeshError } from "../src/index.js"
import type { InferenceClient } from "../src/InferenceClient.js"
import * as F from "./support/fixtures.js"
import { type Handler, json, mockTransport } from "./support/mock.js"

const options: ClientOptions = { apiKey: Redacted.make(F.KEY), maxRetries: 0 }

const fail = <A>(handler: Handler, f: (tm: InferenceClient) => Effect.Effect<A, TensormeshError>) => {
  const mock = mockTransport(handler)
  return Effect.map(
    Effect.flip(
      Effect.flatMap(Serverless, f).pipe(Effect.provide(ServerlessLayer(options).pipe(Layer.provide(mock.layer))))
    ),
    (error) => ({ error, sent: mock.seen.length })
  )
}

const ok: Handler = () => json({})

const chatRequest = { model: "m", messages: [{ role: "user" as const, content: "hi" }] }

describe("ValidationError.issues", () => {
  it.effect("request schema failures: one entry per real problem, no null/undefined noise", () =>
    Effect.gen(function*() {
      const { error, sent } = yield* fail(ok, (tm) =>
        tm.chat.completions.create({
          model: "m",
          temperature: 5,
          messages: [{ role: "user", content: 42 as unknown as string }]
        }))
      assert.strictEqual(sent, 0)
      assert.strictEqual(error._tag, "ValidationError")
      if (error._tag !== "ValidationError") return
      assert.strictEqual(error.reason, "InvalidRequest")
      const paths = error.issues.map((issue) => issue.path.join("."))
      assert.include(paths, "temperature")
      assert.isTrue(paths.some((path) => path.startsWith("messages.0")), paths.join(", "))
      for (const issue of error.issues) assert.notMatch(issue.message, /^Expected (null|undefined), actual/)
      assert.strictEqual(new Set(error.issues.map((i) => `${i.path.join(".")}|${i.message}`)).size, error.issues.length)
      // said once: the reason, then the problems
      assert.match(error.message, /^InvalidRequest: /)
      assert.notMatch(error.message, /invalid request/i)
      assert.include(error.message, "temperature: ")
    }))

  it.effect("a number path stays a number; the stream flag names `stream`", () =>
    Effect.gen(function*() {
      const { error } = yield* fail(ok, (tm) =>
        tm.chat.completions.create({
          model: "m",
          messages: [{ role: "user", content: "a" }, { role: "nobody" as "user", content: "b" }]
        }))
      assert.isTrue(
        error._tag === "ValidationError" && error.issues.some((i) => i.path[0] === "messages" && i.path[1] === 1)
      )
      const flagged = yield* fail(ok, (tm) => tm.chat.completions.create({ ...chatRequest, stream: true } as never))
      assert.deepStrictEqual(
        flagged.error._tag === "ValidationError" ? flagged.error.issues.map((i) => i.path) : [],
        [["stream"]]
      )
    }))

  it.effect("server 400 with error.param, 422 with FastAPI detail[].loc, and a body naming no field", () =>
    Effect.gen(function*() {
      const param = yield* fail(
        () =>
          json({ error: { message: "temperature is too high", type: "BadRequestError", param: "temperature" } }, {
            status: 400
          }),
        (tm) => tm.chat.completions.create(chatRequest)
      )
      assert.deepStrictEqual(param.error._tag === "ValidationError" ? param.error.issues : [], [
        { path: ["temperature"], message: "temperature is too high" }
      ])
      const loc = yield* fail(
        () =>
          json({
            detail: [
              { loc: ["body", "messages", 0, "content"], msg: "field required", type: "missing" },
              { loc: ["body", "max_tokens"], msg: "must be positive", type: "value_error" }
            ]
          }, { status: 422 }),
        (tm) => tm.chat.completions.create(chatRequest)
      )
      assert.strictEqual(loc.error._tag === "ValidationError" ? loc.error.reason : "", "UnprocessableEntity")
      assert.deepStrictEqual(loc.error._tag === "ValidationError" ? loc.error.issues : [], [
        { path: ["messages", 0, "content"], message: "field required" },
        { path: ["max_tokens"], message: "must be positive" }
      ])
      const none = yield* fail(
        () => json({ error: { message: "no", type: "BadRequestError", param: null } }, { status: 400 }),
        (tm) => tm.chat.completions.create(chatRequest)
      )
      assert.deepStrictEqual(none.error._tag === "ValidationError" ? none.error.issues : ["?"], [])
    }))

  it.effect("config failures name the setting (options and TENSORMESH_* variables)", () =>
    Effect.gen(function*() {
      const mock = mockTransport(ok)
      const fromOptions = yield* Effect.flip(
        Layer.build(
          ServerlessLayer({ ...options, maxRetries: -1 }).pipe(Layer.provide(mock.layer))
        ).pipe(Effect.scoped)
      )
      assert.deepStrictEqual(fromOptions.issues.map((i) => i.path), [["maxRetries"]])
      const fromEnv = yield* Effect.flip(
        Layer.build(ServerlessLayer.config().pipe(Layer.provide(mock.layer))).pipe(
          Effect.scoped,
          Effect.withConfigProvider(ConfigProvider.fromMap(
            new Map([["TENSORMESH_INFERENCE_API_KEY", F.KEY], ["TENSORMESH_TIMEOUT_SECONDS", "soon"]])
          ))
        )
      )
      assert.strictEqual(fromEnv._tag, "ValidationError")
      // the setting's name; the detail says where its value came from
      assert.deepStrictEqual(fromEnv._tag === "ValidationError" ? fromEnv.issues.map((i) => i.path) : [], [["timeout"]])
      assert.include(fromEnv.message, "TENSORMESH_TIMEOUT_SECONDS")
    }))

  it.effect("errors serialise small: no schema in toJSON or inspect, cause kept on the error", () =>
    Effect.gen(function*() {
      const { error } = yield* fail(
        ok,
        (tm) => tm.chat.completions.create({ model: "m", temperature: 5, messages: [{ role: "user", content: "x" }] })
      )
      assert.isDefined(error.cause)
      const text = JSON.stringify(error)
      assert.isBelow(text.length, 600, text)
      const parsed = JSON.parse(text)
      assert.strictEqual(parsed._tag, "ValidationError")
      assert.strictEqual(parsed.message, error.message)
      assert.isUndefined(parsed.cause)
      assert.deepStrictEqual(parsed.issues, error._tag === "ValidationError" ? error.issues : [])
      assert.isBelow(util.inspect(error).length, 2000)
    }))
})
