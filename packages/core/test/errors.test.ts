import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, Redacted, TestClock } from "effect"
import {
  type ClientOptions,
  OnDemand,
  OnDemandLayer,
  Serverless,
  ServerlessLayer,
  type TensormeshError
} from "../src/index.js"
import type { InferenceClient } from "../src/InferenceClient.js"
import * as F from "./support/fixtures.js"
import { type Handler, json, mockTransport } from "./support/mock.js"

const key = Redacted.make(F.KEY)

const serverless = (handler: Handler, options: ClientOptions = { apiKey: key, maxRetries: 0 }) => {
  const mock = mockTransport(handler)
  const run = <A>(f: (tm: InferenceClient) => Effect.Effect<A, TensormeshError>) =>
    Effect.flip(
      Effect.flatMap(Serverless, f).pipe(Effect.provide(ServerlessLayer(options).pipe(Layer.provide(mock.layer))))
    )
  return { mock, run }
}

const chat = (tm: InferenceClient) =>
  tm.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] })

const assertNoSecret = (error: unknown) => {
  const rendered = [String(error), JSON.stringify(error), (error as Error).message, (error as Error).stack ?? ""].join(
    "\n"
  )
  assert.notInclude(rendered, F.KEY)
  assert.notInclude(rendered, F.USER_ID)
}

describe("status mapping and error bodies", () => {
  const cases: ReadonlyArray<{
    readonly status: number
    readonly body: string
    readonly tag: TensormeshError["_tag"]
    readonly reason: string
    readonly detail: string | undefined
    readonly retryable: boolean
  }> = [
    {
      status: 400,
      body: JSON.stringify({
        object: "error",
        message: "Stream options can only be defined when `stream=True`.",
        type: "BadRequestError",
        param: "stream_options",
        code: 400
      }),
      tag: "ValidationError",
      reason: "BadRequest",
      detail: "Stream options can only be defined when `stream=True`.",
      retryable: false
    },
    {
      status: 401,
      body: JSON.stringify({ error: "Unauthorized" }),
      tag: "AuthError",
      reason: "Unauthorized",
      detail: "Unauthorized",
      retryable: false
    },
    {
      status: 403,
      body: "",
      tag: "AuthError",
      reason: "Forbidden",
      detail: undefined,
      retryable: false
    },
    {
      status: 404,
      body: JSON.stringify({
        error: { message: "The model `foo/bar` does not exist.", type: "NotFoundError", param: "model", code: 404 }
      }),
      tag: "ValidationError",
      reason: "NotFound",
      detail: "The model `foo/bar` does not exist.",
      retryable: false
    },
    {
      status: 404,
      body: JSON.stringify({ detail: "Not Found" }),
      tag: "ValidationError",
      reason: "NotFound",
      detail: "Not Found",
      retryable: false
    },
    {
      status: 413,
      body: "Request Entity Too Large",
      tag: "ValidationError",
      reason: "PayloadTooLarge",
      detail: "Request Entity Too Large",
      retryable: false
    },
    {
      status: 422,
      body: JSON.stringify({ detail: [{ loc: ["body", "messages"], msg: "field required", type: "missing" }] }),
      tag: "ValidationError",
      reason: "UnprocessableEntity",
      detail: "field required at body.messages",
      retryable: false
    },
    {
      status: 429,
      body: "Server is overloaded",
      tag: "UpstreamError",
      reason: "RateLimited",
      detail: "Server is overloaded",
      retryable: true
    },
    {
      status: 500,
      body: JSON.stringify({
        error: { message: "Internal server error", type: "InternalServerError", param: null, code: 500 }
      }),
      tag: "UpstreamError",
      reason: "ServerError",
      detail: "Internal server error",
      retryable: true
    },
    {
      status: 502,
      body: "<html><body><h1>502 Bad Gateway</h1></body></html>",
      tag: "UpstreamError",
      reason: "ServerError",
      detail: "502 Bad Gateway",
      retryable: true
    },
    {
      status: 503,
      body: JSON.stringify({ error: "The model is currently scaling. Please try again later." }),
      tag: "UpstreamError",
      reason: "Unavailable",
      detail: "The model is currently scaling. Please try again later.",
      retryable: true
    },
    {
      status: 409,
      body: "",
      tag: "UpstreamError",
      reason: "UnexpectedStatus",
      detail: undefined,
      retryable: true
    },
    {
      status: 405,
      body: JSON.stringify({ detail: "Method Not Allowed" }),
      tag: "UpstreamError",
      reason: "UnexpectedStatus",
      detail: "Method Not Allowed",
      retryable: false
    }
  ]
  for (const c of cases) {
    it.effect(`${c.status} ${c.body.slice(0, 30)} → ${c.tag}(${c.reason})`, () =>
      Effect.gen(function*() {
        const { run } = serverless(() => new Response(c.body, { status: c.status, headers: { "x-request-id": "r-9" } }))
        const error = yield* run(chat)
        assert.strictEqual(error._tag, c.tag)
        assert.strictEqual(error.reason, c.reason)
        assert.strictEqual(error.status, c.status)
        assert.strictEqual(error.detail, c.detail)
        assert.strictEqual(error.retryable, c.retryable)
        assert.strictEqual(error.requestId, "r-9")
        assert.include(error.message, `HTTP ${c.status}`)
        if (c.body.startsWith("{")) assert.deepStrictEqual(error.body, JSON.parse(c.body))
        else if (c.body !== "") assert.strictEqual(error.body, c.body)
        assertNoSecret(error)
      }))
  }

  it.effect("429 carries retryAfter from Retry-After", () =>
    Effect.gen(function*() {
      const { run } = serverless(() => new Response("slow down", { status: 429, headers: { "retry-after": "5" } }))
      const error = yield* run(chat)
      assert.strictEqual(error._tag, "UpstreamError")
      assert.strictEqual(
        error._tag === "UpstreamError" && error.retryAfter && Duration.toMillis(error.retryAfter),
        5000
      )
    }))

  it.effect("a 200 body that does not match the schema is InvalidResponse, naming the field", () =>
    Effect.gen(function*() {
      const { run } = serverless(() => json({ id: "x", object: "chat.completion", created: 1, model: "m" }))
      const error = yield* run(chat)
      assert.strictEqual(error._tag, "UpstreamError")
      assert.strictEqual(error.reason, "InvalidResponse")
      assert.include(error.detail, "choices")
      assert.strictEqual(error.status, 200)
    }))

  it.effect("a 200 body that is not JSON is InvalidResponse", () =>
    Effect.gen(function*() {
      const { run } = serverless(() => new Response("{not json", { status: 200 }))
      const error = yield* run(chat)
      assert.strictEqual(error.reason, "InvalidResponse")
      assert.include(error.detail, "{not json")
    }))
})

describe("failures before sending", () => {
  it.effect("a keyed route without a key fails with AuthError and sends nothing", () =>
    Effect.gen(function*() {
      const { mock, run } = serverless(() => json({}), {})
      const error = yield* run(chat)
      assert.strictEqual(error._tag, "AuthError")
      assert.strictEqual(error.reason, "MissingApiKey")
      assert.strictEqual(error.status, undefined)
      assert.strictEqual(mock.seen.length, 0)
      const tokenize = yield* run((tm) => tm.tokenize.create({ model: "m", prompt: "x" }))
      assert.strictEqual(tokenize.reason, "MissingApiKey")
    }))

  it.effect("models, health and version work without a key and send no Authorization", () =>
    Effect.gen(function*() {
      const mock = mockTransport((request) =>
        request.url.endsWith("/models")
          ? json(F.models)
          : request.url.endsWith("/version")
          ? json({ version: "1" })
          : new Response("")
      )
      const results = yield* Effect.flatMap(Serverless, (tm) =>
        Effect.all([tm.models.list(), tm.health.get(), tm.version.get()]))
        .pipe(Effect.provide(ServerlessLayer().pipe(Layer.provide(mock.layer))))
      assert.strictEqual(results[0].data.length, 1)
      assert.strictEqual(mock.seen.length, 3)
      for (const request of mock.seen) {
        assert.strictEqual(request.headers["authorization"], undefined)
      }
    }))

  it.effect("response_format json_schema is rejected with ValidationError before sending", () =>
    Effect.gen(function*() {
      const { mock, run } = serverless(() => json({}))
      const error = yield* run((tm) =>
        tm.chat.completions.create({
          model: "m",
          messages: [{ role: "user", content: "x" }],
          response_format: { type: "json_schema", json_schema: { name: "x" } } as any
        })
      )
      assert.strictEqual(error._tag, "ValidationError")
      assert.strictEqual(error.reason, "InvalidRequest")
      assert.include(error.detail, "response_format")
      assert.include(error.detail, "json_schema is not supported")
      assert.strictEqual(mock.seen.length, 0)
    }))

  it.effect("an extra key inside response_format is rejected, not dropped", () =>
    Effect.gen(function*() {
      const { mock, run } = serverless(() => json({}))
      const error = yield* run((tm) =>
        tm.chat.completions.create({
          model: "m",
          messages: [{ role: "user", content: "x" }],
          response_format: { type: "json_object", schema: {} } as any
        })
      )
      assert.strictEqual(error._tag, "ValidationError")
      assert.include(error.detail, "response_format")
      assert.strictEqual(mock.seen.length, 0)
    }))

  it.effect("wrong types, missing fields, out-of-range numbers and unknown keys are ValidationErrors", () =>
    Effect.gen(function*() {
      const { mock, run } = serverless(() => json({}))
      const bad: ReadonlyArray<[unknown, string]> = [
        [{ model: "m" }, "messages"],
        [{ model: "m", messages: [] }, "messages"],
        [{ model: 3, messages: [{ role: "user", content: "x" }] }, "model"],
        [{ model: "m", messages: [{ role: "robot", content: "x" }] }, "messages.0.role"],
        [{ model: "m", messages: [{ role: "user", content: "x" }], temperature: 7 }, "temperature"],
        [{ model: "m", messages: [{ role: "user", content: "x" }], max_tokens: -1 }, "max_tokens"],
        [{ model: "m", messages: [{ role: "user", content: "x" }], stream: true }, "stream"],
        [{ model: "m", messages: [{ role: "user", content: "x" }], tools: [] }, "tools"],
        [
          { model: "m", messages: [{ role: "user", content: "x" }], extraBody: { messages: [] } },
          "extraBody.messages"
        ]
      ]
      for (const [request, path] of bad) {
        const error = yield* run((tm) => tm.chat.completions.create(request as any))
        assert.strictEqual(error._tag, "ValidationError", path)
        assert.strictEqual(error.reason, "InvalidRequest")
        assert.include(error.detail, path)
      }
      assert.strictEqual(mock.seen.length, 0)
    }))

  it.effect("a tool without a description is rejected (Tensormesh requires one)", () =>
    Effect.gen(function*() {
      const { run } = serverless(() => json({}))
      const error = yield* run((tm) =>
        tm.chat.completions.create({
          model: "m",
          messages: [{ role: "user", content: "x" }],
          tools: [{ type: "function", function: { name: "f", description: "" } }]
        })
      )
      assert.include(error.detail, "description")
    }))
})

describe("layer construction", () => {
  const build = <A>(layer: Layer.Layer<A, any, any>) =>
    Effect.exit(Layer.build(layer.pipe(Layer.provide(mockTransport(() => undefined).layer))).pipe(Effect.scoped))

  it.effect("on-demand without a user id, with a non-UUID, or with a bad base URL fails with InvalidConfig", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<[any, string]> = [
        [{ baseUrl: "https://x.test/v1", userId: "" }, "userId is required"],
        [{ baseUrl: "https://x.test/v1", userId: "not-a-uuid-but-secret" }, "userId must be a UUID"],
        [{ baseUrl: "ftp://x.test/v1", userId: F.USER_ID }, "http or https"],
        [{ baseUrl: "https://user:pw@x.test/v1", userId: F.USER_ID }, "credentials"],
        [{ baseUrl: "https://x.test/v1\r\nX-Evil: 1", userId: F.USER_ID }, "control characters"],
        [{ baseUrl: "::not-a-url", userId: F.USER_ID }, "not a valid URL"]
      ]
      for (const [options, text] of cases) {
        const exit = yield* build(OnDemandLayer(options))
        assert.isTrue(Exit.isFailure(exit))
        const rendered = JSON.stringify(exit)
        assert.include(rendered, "InvalidConfig")
        assert.include(rendered, text)
        assert.notInclude(rendered, "not-a-uuid-but-secret")
      }
    }))

  it.effect("invalid timeouts and retries are rejected", () =>
    Effect.gen(function*() {
      const exit = yield* build(ServerlessLayer({ maxRetries: -1 }))
      assert.include(JSON.stringify(exit), "maxRetries")
      const exit2 = yield* build(ServerlessLayer({ timeout: 0 }))
      assert.include(JSON.stringify(exit2), "timeout")
    }))
})

describe("secrets", () => {
  it.effect("errors, their JSON and string forms never contain the key or the user id", () =>
    Effect.gen(function*() {
      const mock = mockTransport(() => new Response(`echo ${F.USER_ID}?`, { status: 500 }))
      const error = yield* Effect.flip(
        Effect.flatMap(OnDemand, chat).pipe(
          Effect.provide(
            OnDemandLayer({ baseUrl: "https://x.test/v1", userId: F.USER_ID, apiKey: key, maxRetries: 0 }).pipe(
              Layer.provide(mock.layer)
            )
          )
        )
      )
      // the server echoing the id back is the server's text, kept as the body; our own fields never hold it
      assert.strictEqual(mock.seen[0].headers["x-user-id"], F.USER_ID)
      assert.notInclude(error.message.replace(`echo ${F.USER_ID}?`, ""), F.KEY)
      const { run } = serverless(() => undefined, { apiKey: key, maxRetries: 0, timeout: "1 second" })
      const fiber = yield* Effect.fork(run(chat))
      yield* TestClock.adjust("2 seconds")
      const timeout = yield* Fiber.join(fiber)
      assert.strictEqual(timeout.reason, "Timeout")
      assertNoSecret(timeout)
    }))
})
