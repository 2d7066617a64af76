// Secret hygiene: with a distinctive key and user id, every error path is run under a recording tracer and logger;
// neither secret may appear in any error (message, toString, toJSON, stack), span attribute, span event or log line.
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Fiber, Layer, Redacted, Stream, TestClock } from "effect"
import { OnDemand, OnDemandLayer, Serverless, ServerlessLayer, type TensormeshError } from "../src/index.js"
import type { InferenceClient } from "../src/InferenceClient.js"
import { data, type Handler, json, mockTransport, sse, sseThenStall } from "./support/mock.js"
import { record } from "./support/recorder.js"

const KEY = "ak-HYGIENE-7c1f0e-do-not-leak"
const USER_ID = "9e107d9d-372b-4b6d-8f3e-0d1c2b3a4f5e"

const chatRequest = { model: "m", messages: [{ role: "user" as const, content: "hi" }] }

const shapes: ReadonlyArray<[string, (status: number) => string]> = [
  ["nested", (s) => JSON.stringify({ error: { message: "boom", type: "X", param: null, code: s } })],
  ["flat", (s) => JSON.stringify({ object: "error", message: "boom", type: "X", param: null, code: s })],
  ["string", () => JSON.stringify({ error: "Unauthorized" })],
  ["detail", () => JSON.stringify({ detail: "Not Found" })],
  ["html", () => "<html><body>bad gateway</body></html>"],
  ["empty", () => ""]
]

const statuses = [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504]

type Path = readonly [string, Handler, (tm: InferenceClient) => Effect.Effect<unknown, TensormeshError>]

const create = (tm: InferenceClient) => tm.chat.completions.create(chatRequest)
const stream = (tm: InferenceClient) => Stream.runDrain(tm.chat.completions.stream(chatRequest))

const paths: ReadonlyArray<Path> = [
  ...statuses.flatMap((status) =>
    shapes.map(([shape, body]): Path => [
      `${status} ${shape}`,
      () => new Response(body(status), { status, headers: { "retry-after": "1" } }),
      create
    ])
  ),
  ["connection refused", () => {
    throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } })
  }, create],
  ["connection reset", () => {
    throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } })
  }, create],
  ["malformed JSON", () => new Response("{oops", { status: 200 }), create],
  ["wrong shape", () => json({ id: 1 }), create],
  ["stream error event", () => sse([data({ error: { message: "boom", code: 500 } })]), stream],
  ["stream cut", () => sse([data({ id: "c", object: "x", created: 1, model: "m", choices: [] })]), stream],
  ["stream not JSON", () => sse(["data: {oops\n\n"]), stream],
  ["stream 401", () => json({ error: "Unauthorized" }, { status: 401 }), stream],
  ["request validation", () => json({}), (tm) => tm.chat.completions.create({ model: "m", messages: [] } as any)],
  [
    "extraBody collision",
    () => json({}),
    (tm) => tm.chat.completions.create({ ...chatRequest, extraBody: { model: "x" } })
  ]
]

const assertClean = (what: string, text: string) => {
  assert.notInclude(text, KEY, `${what} leaks the key`)
  assert.notInclude(text, USER_ID, `${what} leaks the user id`)
}

const renderError = (error: unknown) =>
  [
    String(error),
    JSON.stringify(error),
    (error as Error).message,
    (error as Error).stack ?? "",
    Cause.pretty(Cause.fail(error))
  ]
    .join("\n")

describe("no secret in errors, spans or logs", () => {
  for (const [name, handler, call] of paths) {
    it.effect(name, () =>
      Effect.gen(function*() {
        const { install, recording } = record()
        const mock = mockTransport(handler)
        const layer = OnDemandLayer({
          baseUrl: "https://x.test/v1",
          userId: USER_ID,
          apiKey: Redacted.make(KEY),
          maxRetries: 1,
          propagateTraceContext: true,
          // every request logged, bodies included: the lines are checked below with the spans
          logLevel: "debug"
        }).pipe(Layer.provide(mock.layer))
        const fiber = yield* Effect.flatMap(OnDemand, (tm) => call(tm)).pipe(
          Effect.tapErrorCause((cause) => Effect.logError("call failed", cause)),
          Effect.flip,
          Effect.provide(layer),
          install,
          Effect.fork
        )
        yield* TestClock.adjust("30 seconds")
        const error = yield* Fiber.join(fiber)
        assertClean("the error", renderError(error))
        assertClean("spans and logs", recording.text())
        // the recording did see the calls: the check is not vacuous
        assert.isTrue(
          recording.spans.some((s) => s.attributes.get("gen_ai.system") === "tensormesh"),
          "a span per call"
        )
        assert.isTrue(recording.logs.length > 0)
        if (mock.seen.length > 0) {
          // the secrets were on the wire, so their absence above is redaction, not absence
          assert.strictEqual(mock.seen[0].headers["authorization"], `Bearer ${KEY}`)
          assert.strictEqual(mock.seen[0].headers["x-user-id"], USER_ID)
          // the platform's own client span (whose recorded response holds the request headers) is never made:
          // the SDK's span is the client span
          assert.isUndefined(recording.spans.find((s) => s.attributes.has("http.request.method")))
          assert.isTrue(
            recording.spans.some((s) => s.attributes.get("gen_ai.system") === "tensormesh" && s.kind === "client")
          )
        }
      }))
  }

  it.effect("an idle stream timeout", () =>
    Effect.gen(function*() {
      const { install, recording } = record()
      const mock = mockTransport((req) => sseThenStall([], req.signal))
      const layer = OnDemandLayer({ baseUrl: "https://x.test/v1", userId: USER_ID, apiKey: Redacted.make(KEY) })
        .pipe(Layer.provide(mock.layer))
      const fiber = yield* Effect.flatMap(OnDemand, stream).pipe(
        Effect.tapErrorCause((cause) => Effect.logError(cause)),
        Effect.flip,
        Effect.provide(layer),
        install,
        Effect.fork
      )
      yield* TestClock.adjust("10 minutes")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "IdleTimeout")
      assertClean("the error", renderError(error))
      assertClean("spans and logs", recording.text())
    }))

  it.effect("a missing key on serverless, and an invalid user id at layer construction", () =>
    Effect.gen(function*() {
      const mock = mockTransport(() => json({}))
      const missing = yield* Effect.flip(
        Effect.flatMap(Serverless, create).pipe(Effect.provide(ServerlessLayer().pipe(Layer.provide(mock.layer))))
      )
      assert.strictEqual(missing.reason, "MissingApiKey")
      const badId = `${USER_ID}x`
      const invalid = yield* Effect.flip(
        Effect.flatMap(OnDemand, create).pipe(
          Effect.provide(
            OnDemandLayer({ baseUrl: "https://x.test/v1", userId: badId, apiKey: Redacted.make(KEY) }).pipe(
              Layer.provide(mock.layer)
            )
          )
        )
      )
      assert.strictEqual(invalid.reason, "InvalidConfig")
      assert.notInclude(renderError(invalid), badId)
      assertClean("the error", renderError(invalid))
    }))
})
