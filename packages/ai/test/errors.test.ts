// TensormeshError → AiError per family, by fault injection on the local server (both surfaces), the secrets absent
// from every AiError, and interruption aborting the HTTP request.
import type { AiError } from "@effect/ai"
import { LanguageModel } from "@effect/ai"
import { assert, describe, it, layer } from "@effect/vitest"
import { OnDemandLayer, ServerlessLayer, Tensormesh } from "@tensormesh-effect/core"
import { NodeTensormesh } from "@tensormesh-effect/node"
import * as LocalServer from "@tensormesh-effect/node/LocalServer"
import {
  Cause,
  ConfigProvider,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Inspectable,
  Layer,
  Redacted,
  Stream
} from "effect"
import * as Net from "node:net"
import { TensormeshAiError, TensormeshLanguageModel } from "../src/index.js"
import { ECHO, fault, KEY, type Surface, surfaceLayer, surfaces, USER_ID } from "./support/surfaces.js"

interface Row {
  readonly name: string
  readonly faults: string
  readonly stream?: boolean
  readonly tag: AiError.AiError["_tag"]
  readonly family: "AuthError" | "ValidationError" | "UpstreamError"
  readonly reason: string
  readonly status?: number
  readonly responseReason?: "StatusCode" | "Decode"
  readonly retryable: boolean
  readonly retryAfterMs?: number
}

const rows: ReadonlyArray<Row> = [
  {
    name: "401",
    faults: "status=401",
    tag: "HttpResponseError",
    family: "AuthError",
    reason: "Unauthorized",
    status: 401,
    responseReason: "StatusCode",
    retryable: false
  },
  {
    name: "403",
    faults: "status=403; shape=string",
    tag: "HttpResponseError",
    family: "AuthError",
    reason: "Forbidden",
    status: 403,
    responseReason: "StatusCode",
    retryable: false
  },
  {
    name: "400",
    faults: "status=400; shape=flat",
    tag: "HttpResponseError",
    family: "ValidationError",
    reason: "BadRequest",
    status: 400,
    responseReason: "StatusCode",
    retryable: false
  },
  {
    name: "404",
    faults: "status=404; shape=detail",
    tag: "HttpResponseError",
    family: "ValidationError",
    reason: "NotFound",
    status: 404,
    responseReason: "StatusCode",
    retryable: false
  },
  {
    name: "429 with Retry-After",
    faults: "status=429; retry-after=2",
    tag: "HttpResponseError",
    family: "UpstreamError",
    reason: "RateLimited",
    status: 429,
    responseReason: "StatusCode",
    retryable: true,
    retryAfterMs: 2000
  },
  {
    name: "503 with retry-after-ms",
    faults: "status=503; retry-after-ms=1500",
    tag: "HttpResponseError",
    family: "UpstreamError",
    reason: "Unavailable",
    status: 503,
    responseReason: "StatusCode",
    retryable: true,
    retryAfterMs: 1500
  },
  {
    name: "500 html",
    faults: "status=500; shape=html",
    tag: "HttpResponseError",
    family: "UpstreamError",
    reason: "ServerError",
    status: 500,
    responseReason: "StatusCode",
    retryable: true
  },
  {
    name: "malformed JSON body",
    faults: "malformed-json",
    tag: "HttpResponseError",
    family: "UpstreamError",
    reason: "InvalidResponse",
    status: 200,
    responseReason: "Decode",
    retryable: false
  },
  {
    name: "connection reset",
    faults: "reset",
    tag: "HttpRequestError",
    family: "UpstreamError",
    reason: "Connection",
    retryable: true
  },
  {
    name: "stream: an error event",
    faults: "error-after-chunks=2",
    stream: true,
    tag: "HttpResponseError",
    family: "UpstreamError",
    reason: "StreamError",
    responseReason: "Decode",
    retryable: true
  },
  {
    name: "stream: cut before [DONE]",
    faults: "cut-after-chunks=2",
    stream: true,
    tag: "HttpRequestError",
    family: "UpstreamError",
    reason: "StreamTruncated",
    retryable: true
  }
]

/** Every rendering of an error a program might log. */
const renderings = (error: AiError.AiError): Array<string> => [
  error.message,
  String(error),
  JSON.stringify(error),
  Inspectable.format(error),
  Cause.pretty(Cause.fail(error)),
  JSON.stringify(TensormeshAiError.tensormeshError(error) ?? null),
  String((error as { cause?: unknown }).cause)
]

const assertNoSecrets = (error: AiError.AiError) => {
  for (const text of renderings(error)) {
    assert.notInclude(text, KEY)
    assert.notInclude(text, USER_ID)
  }
}

const model = TensormeshLanguageModel.layer({ model: ECHO })

const run = (row: Row) =>
  (row.stream === true
    ? LanguageModel.streamText({ prompt: "boom" }).pipe(Stream.runDrain)
    : LanguageModel.generateText({ prompt: "boom" })).pipe(
      TensormeshLanguageModel.withConfigOverride({
        callOptions: { maxRetries: 0, headers: fault(`${row.faults}; request-id`) }
      }),
      Effect.provide(model),
      Effect.flip
    )

for (const surface of surfaces) {
  layer(surfaceLayer(surface), { excludeTestServices: true })(`${surface}: error mapping`, (it) => {
    for (const row of rows) {
      it.effect(`${row.name} → ${row.tag}`, () =>
        Effect.gen(function*() {
          const error = yield* run(row)
          assert.strictEqual(error._tag, row.tag)
          const original = TensormeshAiError.tensormeshError(error)
          assert(original !== undefined, "the TensormeshError is the cause")
          assert.strictEqual(original._tag, row.family)
          assert.strictEqual(original.reason, row.reason)
          assert.strictEqual(TensormeshAiError.isRetryable(error), row.retryable)
          assert.include(error.description ?? "", `${row.family}.${row.reason}`)
          assert.include(error.description ?? "", row.retryable ? "; retryable" : "; not retryable")
          if (error._tag === "HttpResponseError") {
            assert.strictEqual(error.reason, row.responseReason)
            if (row.status !== undefined) assert.strictEqual(error.response.status, row.status)
            assert.deepStrictEqual(error.request.headers, {})
            assert.strictEqual(error.request.url, "/chat/completions")
          }
          if (row.status !== undefined) assert.isString(original.requestId, "the request id of the response")
          if (original.requestId !== undefined) {
            assert.include(error.description ?? "", `[request ${original.requestId}]`)
            if (error._tag === "HttpResponseError") {
              assert.strictEqual(error.response.headers["x-request-id"], original.requestId)
            }
          }
          if (row.retryAfterMs !== undefined) {
            assert(original._tag === "UpstreamError" && original.retryAfter !== undefined)
            assert.strictEqual(Duration.toMillis(original.retryAfter), row.retryAfterMs)
            assert.include(error.description ?? "", `retry after ${row.retryAfterMs} ms`)
            assert(error._tag === "HttpResponseError")
            assert.strictEqual(error.response.headers["retry-after-ms"], String(row.retryAfterMs))
          }
          assertNoSecrets(error)
        }))
    }

    it.effect("a status error keeps the request id the server sent", () =>
      Effect.gen(function*() {
        const error = yield* run(rows[4]!)
        const original = TensormeshAiError.tensormeshError(error)
        assert.isString(original?.requestId)
        assert(error._tag === "HttpResponseError")
        assert.strictEqual(error.response.headers["x-request-id"], original!.requestId)
      }))

    it.effect("an invalid request (checked before sending) → MalformedInput", () =>
      Effect.gen(function*() {
        const error = yield* LanguageModel.generateText({ prompt: "x" }).pipe(
          TensormeshLanguageModel.withConfigOverride({ temperature: 5 }),
          Effect.provide(model),
          Effect.flip
        )
        assert.strictEqual(error._tag, "MalformedInput")
        const original = TensormeshAiError.tensormeshError(error)
        assert.strictEqual(original?._tag, "ValidationError")
        assert.strictEqual(original?.reason, "InvalidRequest")
        assertNoSecrets(error)
      }))
  })
}

describe("a missing API key", () => {
  it.effect("→ UnknownError before any request, the AuthError as its cause", () =>
    Effect.gen(function*() {
      const error = yield* LanguageModel.generateText({ prompt: "x" }).pipe(
        Effect.provide(model),
        Effect.provide(
          Layer.provideMerge(Tensormesh.serverless, LocalServer.serverlessLayer({ client: { apiKey: undefined } }))
            .pipe(
              Layer.orDie
            )
        ),
        Effect.flip
      )
      assert.strictEqual(error._tag, "UnknownError")
      assert.strictEqual(TensormeshAiError.tensormeshError(error)?.reason, "MissingApiKey")
    }), { timeout: 30_000 })
})

/** A TCP proxy in front of the local server, counting the client connections that are open. */
const proxy = (target: number) =>
  Effect.acquireRelease(
    Effect.async<{ readonly port: number; readonly open: () => number; readonly server: Net.Server }>((resume) => {
      let open = 0
      const server = Net.createServer((client) => {
        open++
        const upstream = Net.connect(target, "127.0.0.1")
        client.pipe(upstream)
        upstream.pipe(client)
        client.on("close", () => {
          open--
          upstream.destroy()
        })
        upstream.on("close", () => client.destroy())
        client.on("error", () => {})
        upstream.on("error", () => {})
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          port: (server.address() as Net.AddressInfo).port,
          open: () => open,
          server
        })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  )

const directClient = (surface: Surface, baseUrl: string): Layer.Layer<Tensormesh> => {
  const client = surface === "serverless"
    ? Tensormesh.serverless.pipe(
      Layer.provide(ServerlessLayer({ baseUrl, apiKey: Redacted.make(KEY), maxRetries: 0 }))
    )
    : Tensormesh.onDemand.pipe(
      Layer.provide(OnDemandLayer({ baseUrl, apiKey: Redacted.make(KEY), userId: USER_ID, maxRetries: 0 }))
    )
  return client.pipe(
    Layer.provide(NodeTensormesh.transport()),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map()))),
    Layer.orDie
  )
}

for (const surface of surfaces) {
  describe(`${surface}: interruption`, () => {
    it.scopedLive("interrupting streamText aborts the HTTP request (the connection closes)", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.make({ mode: surface, apiKeys: [KEY], userIds: [USER_ID] })
        const front = yield* proxy(server.port)
        const first = yield* Deferred.make<void>()
        const fiber = yield* LanguageModel.streamText({ prompt: "never ends" }).pipe(
          Stream.tap((part) => part.type === "text-delta" ? Deferred.succeed(first, undefined) : Effect.void),
          Stream.runDrain,
          TensormeshLanguageModel.withConfigOverride({ callOptions: { headers: fault("stall-after-chunks=4") } }),
          Effect.provide(TensormeshLanguageModel.layer({ model: ECHO })),
          Effect.provide(directClient(surface, `http://127.0.0.1:${front.port}/v1`)),
          Effect.fork
        )
        yield* Deferred.await(first)
        assert.strictEqual(front.open(), 1, "the stream is open and stalled")
        yield* Fiber.interrupt(fiber)
        const exit = yield* Fiber.await(fiber)
        assert.isTrue(Exit.isInterrupted(exit))
        yield* Effect.gen(function*() {
          while (front.open() > 0) yield* Effect.sleep("10 millis")
        }).pipe(Effect.timeoutFail({ duration: "3 seconds", onTimeout: () => new Error("the connection stayed open") }))
        assert.strictEqual(front.open(), 0)
      }))
  })
}
