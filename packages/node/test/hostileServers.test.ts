// Hostile and broken servers against the client, over real loopback sockets, on both transports we ship (the Node
// transport of `NodeTensormesh`, and a transport built from an HttpClient: fetch): bounded bodies, no redirect
// carrying credentials elsewhere, headers and bodies checked before sending, a 200 that is an error, a total stream
// deadline, bounded raw lines.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import {
  type ClientOptions,
  OnDemand,
  OnDemandLayer,
  Serverless,
  ServerlessLayer,
  type TensormeshError
} from "@tensormesh-effect/core"
import { Clock, ConfigProvider, Effect, Layer, Redacted, Stream } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Zlib from "node:zlib"
import * as NodeTensormesh from "../src/NodeTensormesh.js"

const KEY = "ak-hostile-0123456789"
const USER = "1f0c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"

interface Seen {
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
}

/** A server answering every request with `answer`, recording what it received; closed with the scope. */
const serverOf = (answer: (req: Http.IncomingMessage, res: Http.ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.async<{ readonly origin: string; readonly seen: Array<Seen>; readonly server: Http.Server }>((resume) => {
      const seen: Array<Seen> = []
      const server = Http.createServer((req, res) => {
        seen.push({ url: req.url ?? "", headers: req.headers })
        res.on("error", () => {})
        req.resume()
        req.on("end", () => answer(req, res))
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() =>
          resume(Effect.void)
        )
      })
  )

const noEnv = Layer.setConfigProvider(ConfigProvider.fromMap(new Map()))

const transports: ReadonlyArray<
  readonly [string, (options: ClientOptions) => Layer.Layer<Serverless, TensormeshError>]
> = [
  ["Node transport", (options) => NodeTensormesh.serverless(options).pipe(Layer.provide(noEnv))],
  ["fetch", (options) => ServerlessLayer(options).pipe(Layer.provide(FetchHttpClient.layer))]
]

const request = { model: "m", messages: [{ role: "user" as const, content: "Hi" }] }
const chunk = JSON.stringify({
  id: "c",
  object: "chat.completion.chunk",
  created: 1,
  model: "m",
  choices: [{ index: 0, delta: { content: "x" }, finish_reason: null }]
})

const run = <A, E>(
  layer: Layer.Layer<Serverless, TensormeshError>,
  f: (tm: Serverless["Type"]) => Effect.Effect<A, E>
) => Effect.flatMap(Serverless, f).pipe(Effect.provide(layer))

const elapsed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const result = yield* Effect.either(effect)
    return { result, millis: (yield* Clock.currentTimeMillis) - start }
  })

describe("hostile servers, on every transport", () => {
  for (const [name, layerOf] of transports) {
    describe(name, () => {
      it.scopedLive("an endless 200 body fails fast with ResponseTooLarge, not retried (a GET)", () =>
        Effect.gen(function*() {
          const { origin, seen } = yield* serverOf((_req, res) => {
            res.writeHead(200, { "content-type": "application/json" })
            const block = Buffer.alloc(64 * 1024, 32)
            const write = () => {
              while (!res.destroyed && res.write(block));
              if (!res.destroyed) res.once("drain", write)
            }
            write()
          })
          const { millis, result } = yield* elapsed(
            run(layerOf({ baseUrl: `${origin}/v1`, maxResponseBytes: 1024 * 1024 }), (tm) => tm.models.list())
          )
          assert.isTrue(result._tag === "Left" && result.left.reason === "ResponseTooLarge", String(result))
          assert.isTrue(result._tag === "Left" && result.left.retryable === false)
          assert.strictEqual(seen.length, 1, "not retried")
          assert.isBelow(millis, 5000)
        }))

      it.scopedLive("a redirect is never followed: its status is the error, the other origin sees nothing", () =>
        Effect.gen(function*() {
          const other = yield* serverOf((_req, res) => res.end("{}"))
          const { origin } = yield* serverOf((_req, res) => {
            res.writeHead(302, { location: `${other.origin}/v1/models` })
            res.end()
          })
          const error = yield* Effect.flip(
            run(layerOf({ baseUrl: `${origin}/v1`, apiKey: Redacted.make(KEY) }), (tm) => tm.models.list())
          )
          assert.strictEqual(error.reason, "UnexpectedStatus")
          assert.strictEqual(other.seen.length, 0)
        }))

      it.scopedLive("headers are checked before sending: a line break, a bad name, non-Latin-1", () =>
        Effect.gen(function*() {
          const { origin, seen } = yield* serverOf((_req, res) => res.end("{}"))
          const layer = layerOf({ baseUrl: `${origin}/v1`, apiKey: Redacted.make(KEY) })
          for (const headers of [{ "x-a": "1\r\nx-injected: 1" }, { "bad name": "1" }, { "x-b": "☃" }]) {
            const error = yield* Effect.flip(run(layer, (tm) => tm.chat.completions.create(request, { headers })))
            assert.strictEqual(error._tag, "ValidationError")
            assert.strictEqual(error.reason, "InvalidConfig")
            assert.notInclude(error.message, Object.values(headers)[0])
          }
          const layerError = yield* Effect.flip(
            Layer.build(layerOf({ baseUrl: `${origin}/v1`, headers: { "x-c": "é\n" } })).pipe(Effect.scoped)
          )
          assert.strictEqual(layerError.reason, "InvalidConfig")
          assert.strictEqual(seen.length, 0, "nothing sent")
        }))

      it.scopedLive("non-finite numbers and BigInt in a body are refused before sending, naming the path", () =>
        Effect.gen(function*() {
          const { origin, seen } = yield* serverOf((_req, res) => res.end("{}"))
          const layer = layerOf({ baseUrl: `${origin}/v1`, apiKey: Redacted.make(KEY) })
          const nan = yield* Effect.flip(
            run(layer, (tm) => tm.chat.completions.create({ ...request, logit_bias: { "42": Number.NaN } }))
          )
          assert.strictEqual(nan._tag, "ValidationError")
          assert.include(nan.message, "logit_bias.42")
          const inf = yield* Effect.flip(
            run(layer, (tm) => tm.chat.completions.create({ ...request, extraBody: { top_k: Infinity } }))
          )
          assert.include(inf.message, "top_k")
          const big = yield* Effect.flip(
            run(layer, (tm) => tm.chat.completions.create({ ...request, extraBody: { seed2: BigInt(1) } }))
          )
          assert.include(big.message, "seed2")
          assert.strictEqual(seen.length, 0, "nothing sent")
        }))

      it.scopedLive("a 200 whose body is an error object is the error it describes, on create and on a stream", () =>
        Effect.gen(function*() {
          const { origin } = yield* serverOf((_req, res) => {
            res.writeHead(200, { "content-type": "application/json" })
            res.end(JSON.stringify({ error: { message: "Invalid API key", type: "AuthenticationError", code: 401 } }))
          })
          const layer = layerOf({ baseUrl: `${origin}/v1`, apiKey: Redacted.make(KEY), maxRetries: 0 })
          const created = yield* Effect.flip(run(layer, (tm) => tm.chat.completions.create(request)))
          assert.strictEqual(created._tag, "AuthError")
          assert.include(created.message, "Invalid API key")
          const streamed = yield* Effect.flip(
            run(layer, (tm) => Stream.runDrain(tm.chat.completions.stream(request)))
          )
          assert.strictEqual(streamed._tag, "AuthError")
        }))

      it.scopedLive("streamTimeout ends a stream of keep-alives", () =>
        Effect.gen(function*() {
          const { origin } = yield* serverOf((_req, res) => {
            res.writeHead(200, { "content-type": "text/event-stream" })
            res.write(`data: ${chunk}\n\n`)
            const ping = setInterval(() => res.destroyed ? clearInterval(ping) : res.write(": ping\n\n"), 50)
            res.on("close", () => clearInterval(ping))
          })
          const layer = layerOf({ baseUrl: `${origin}/v1`, apiKey: Redacted.make(KEY), streamTimeout: "600 millis" })
          const { millis, result } = yield* elapsed(
            run(layer, (tm) => Stream.runDrain(tm.chat.completions.stream(request)))
          )
          assert.isTrue(result._tag === "Left" && result.left.reason === "Timeout", String(result))
          assert.isTrue(result._tag === "Left" && result.left.retryable === false)
          assert.isAtLeast(millis, 500)
          assert.isBelow(millis, 3000)
        }))

      it.scopedLive("raw lines are bounded like events (EventTooLarge), in linear time", () =>
        Effect.gen(function*() {
          const { origin } = yield* serverOf((_req, res) => {
            res.writeHead(200, { "content-type": "text/event-stream" })
            const block = Buffer.alloc(64 * 1024, 120)
            res.write("data: ")
            let sent = 0
            const write = () => {
              while (!res.destroyed && sent < 20 * 1024 * 1024 && res.write(block)) sent += block.length
              if (!res.destroyed && sent < 20 * 1024 * 1024) res.once("drain", write)
            }
            write()
          })
          const layer = layerOf({ baseUrl: `${origin}/v1`, apiKey: Redacted.make(KEY) })
          const { millis, result } = yield* elapsed(run(layer, (tm) =>
            Effect.scoped(Effect.flatMap(
              tm.chat.completions.withStreamingResponse.create(request),
              (response) => Stream.runDrain(response.lines)
            ))))
          assert.isTrue(result._tag === "Left" && result.left.reason === "EventTooLarge", String(result))
          assert.isBelow(millis, 10_000)
        }))
    })
  }

  it.scopedLive("fetch: a gzip bomb is bounded by its decompressed size", () =>
    Effect.gen(function*() {
      const bomb = Zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, 32))
      const { origin } = yield* serverOf((_req, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" })
        res.end(bomb)
      })
      const layer = ServerlessLayer({ baseUrl: `${origin}/v1`, maxResponseBytes: 1024 * 1024 }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
      const error = yield* Effect.flip(run(layer, (tm) => tm.models.list()))
      assert.strictEqual(error.reason, "ResponseTooLarge")
    }))

  it.scopedLive("HttpClient middleware that follows redirects: key and user id never reach another origin", () =>
    Effect.gen(function*() {
      const other = yield* serverOf((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ object: "list", data: [] }))
      })
      const { origin } = yield* serverOf((_req, res) => {
        res.writeHead(307, { location: `${other.origin}/v1/models` })
        res.end()
      })
      const layer = OnDemandLayer({
        baseUrl: `${origin}/v1`,
        userId: USER,
        apiKey: Redacted.make(KEY),
        transformClient: HttpClient.followRedirects(3)
      }).pipe(Layer.provide(FetchHttpClient.layer))
      yield* Effect.flatMap(OnDemand, (tm) => tm.models.list()).pipe(Effect.provide(layer))
      assert.strictEqual(other.seen.length, 1, "the redirect was followed")
      assert.isUndefined(other.seen[0].headers["authorization"])
      assert.isUndefined(other.seen[0].headers["x-user-id"])
    }))
})
