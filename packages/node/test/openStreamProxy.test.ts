// `openStream` behind an SSE proxy built on @effect/platform's HttpRouter: the proxy answers with the status of the
// upstream failure (429, 401, 400) and never a 200 for a stream that cannot start; a good stream is proxied as SSE.
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { assert, describe, it } from "@effect/vitest"
import { ChatStream, Serverless, type TensormeshError } from "@tensormesh-effect/core"
import { Effect, Layer, Schedule, Schema, Stream } from "effect"
import { createServer } from "node:http"
import * as LocalServer from "../src/LocalServer.js"
import { request } from "./support/http.js"

const Body = Schema.Struct({
  content: Schema.String,
  fault: Schema.optional(Schema.String),
  temperature: Schema.optional(Schema.Number)
})

const statusOf = (error: TensormeshError): number => {
  switch (error._tag) {
    case "AuthError":
      return 401
    case "ValidationError":
      return 400
    case "UpstreamError":
      return error.reason === "RateLimited" ? 429 : 502
  }
}

const encoder = new TextEncoder()

const router = HttpRouter.empty.pipe(
  HttpRouter.post(
    "/chat/stream",
    Effect.gen(function*() {
      const body = yield* HttpServerRequest.schemaBodyJson(Body)
      const tm = yield* Serverless
      const chunks = yield* tm.chat.completions.openStream(
        {
          model: "tensormesh/echo",
          messages: [{ role: "user", content: body.content }],
          ...(body.temperature === undefined ? {} : { temperature: body.temperature })
        },
        body.fault === undefined ? undefined : { headers: { [LocalServer.FAULT_HEADER]: body.fault } }
      )
      const sse = chunks.pipe(
        ChatStream.textDeltas,
        Stream.map((text) => encoder.encode(`data: ${JSON.stringify({ text })}\n\n`)),
        Stream.concat(Stream.make(encoder.encode("data: [DONE]\n\n"))),
        Stream.orDie
      )
      return HttpServerResponse.stream(sse, { contentType: "text/event-stream" })
    }).pipe(
      Effect.catchIf(
        (error): error is TensormeshError =>
          typeof error === "object" && error !== null && "_tag" in error &&
          (error._tag === "AuthError" || error._tag === "ValidationError" || error._tag === "UpstreamError"),
        (error) =>
          Effect.succeed(
            HttpServerResponse.unsafeJson(
              { error: error._tag, reason: error.reason },
              { status: statusOf(error) }
            )
          )
      )
    )
  )
)

const ProxyLive = HttpServer.serve(router).pipe(
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
  Layer.provideMerge(LocalServer.serverlessLayer({ client: { maxRetries: 0 } }))
)

const proxyUrl = Effect.map(HttpServer.HttpServer, (server) => {
  const address = server.address
  if (address._tag !== "TcpAddress") throw new Error("not a TCP address")
  return `http://127.0.0.1:${address.port}/chat/stream`
})

const send = (url: string, body: typeof Body.Type) =>
  request(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })

describe("openStream behind an HttpRouter SSE proxy", () => {
  it.scopedLive("answers with the upstream failure's status, never 200, and streams the good case", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(ProxyLive)
      const url = yield* Effect.provide(proxyUrl, context)

      const limited = yield* send(url, { content: "hi", fault: "status=429; retry-after-ms=1" })
      assert.strictEqual(limited.status, 429)
      assert.deepStrictEqual(limited.json(), { error: "UpstreamError", reason: "RateLimited" })

      const unauthorized = yield* send(url, { content: "hi", fault: "status=401" })
      assert.strictEqual(unauthorized.status, 401)
      assert.strictEqual(unauthorized.json().error, "AuthError")

      // rejected before sending: the request schema
      const invalid = yield* send(url, { content: "hi", temperature: 5 })
      assert.strictEqual(invalid.status, 400)
      assert.strictEqual(invalid.json().error, "ValidationError")

      // rejected by the server
      const rejected = yield* send(url, { content: "hi", fault: "status=400" })
      assert.strictEqual(rejected.status, 400)
      assert.strictEqual(rejected.json().error, "ValidationError")

      const ok = yield* send(url, { content: "ping" })
      assert.strictEqual(ok.status, 200)
      assert.match(ok.headers.get("content-type") ?? "", /text\/event-stream/)
      const texts = ok.text.split("\n\n").filter((frame) => frame.startsWith("data: {")).map((frame) =>
        JSON.parse(frame.slice(6)).text as string
      )
      assert.strictEqual(texts.join(""), "You said: ping")
      assert.isTrue(ok.text.endsWith("data: [DONE]\n\n"))
    }))

  it.scopedLive("retries before it succeeds, then the stream reads the body; closing the scope aborts", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(LocalServer.serverlessLayer({
        faults: [{ route: "/v1/chat/completions", times: 1, fault: "status=503; retry-after-ms=1" }]
      }))
      const tm = yield* Effect.provide(Serverless, context)
      const server = yield* Effect.provide(LocalServer.LocalServer, context)
      const text = yield* Effect.scoped(
        Effect.flatMap(
          tm.chat.completions.openStream({
            model: "tensormesh/echo",
            messages: [{ role: "user", content: "again" }]
          }),
          (chunks) => chunks.pipe(ChatStream.textDeltas, Stream.mkString)
        )
      )
      assert.strictEqual(text, "You said: again")
      // an opened stream that is never read is aborted with its scope (the server stalls after one chunk)
      yield* Effect.scoped(Effect.gen(function*() {
        yield* tm.completions.openStream(
          { model: "tensormesh/echo", prompt: "unread" },
          { headers: { [LocalServer.FAULT_HEADER]: "stall-after-chunks=1" } }
        )
        assert.strictEqual((yield* server.inFlight).current, 1)
      }))
      yield* Effect.retry(
        Effect.flatMap(server.inFlight, (n) => n.current === 0 ? Effect.void : Effect.fail(n)),
        Schedule.intersect(Schedule.spaced("10 millis"), Schedule.recurs(200))
      )
    }))

  it.scopedLive("responses.openStream fails before the stream on a status error", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(LocalServer.serverlessLayer({ client: { maxRetries: 0 } }))
      const tm = yield* Effect.provide(Serverless, context)
      const error = yield* Effect.flip(Effect.scoped(tm.responses.openStream(
        { model: "tensormesh/echo", input: "hi" },
        { headers: { [LocalServer.FAULT_HEADER]: "status=429" } }
      )))
      assert.strictEqual(error._tag, "UpstreamError")
      assert.strictEqual(error._tag === "UpstreamError" ? error.reason : "", "RateLimited")
      const events = yield* Effect.scoped(
        Effect.flatMap(
          tm.responses.openStream({ model: "tensormesh/echo", input: "hi" }),
          (stream) => Stream.runCollect(stream)
        )
      )
      assert.isTrue(events.length > 0)
    }))
})
