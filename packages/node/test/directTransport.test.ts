// The Node transport's direct path (undici `dispatch` without HttpClient's per-request machinery), over real
// loopback HTTP: it is what the SDK uses by default; it sends exactly what the HttpClient path sends; every row of
// the fault table has the same outcome over it; backpressure and aborts work.
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { ChatStream, Serverless, ServerlessLayer } from "@tensormesh-effect/core"
import { ConfigProvider, Effect, Fiber, Layer, Redacted, Stream } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as NodeTensormesh from "../src/NodeTensormesh.js"
import { rows, runRow } from "./support/faultTable.js"

const DirectTransportId = Symbol.for("@tensormesh-effect/core/DirectTransport")
const KEY = Redacted.make("ak-direct-test")
const messages = [{ role: "user" as const, content: "Hi" }]
const noEnv = Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))

interface DirectLike {
  readonly exchange: (request: unknown, handler: unknown) => { readonly pause: () => void }
}

/**
 * The Node transport, with its direct path counting exchanges (and pauses, in `paused`) and its HttpClient path
 * counting requests.
 */
const countingTransport = (counts: { direct: number; generic: number }, paused = { n: 0 }) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) => {
      const direct = (client as unknown as Record<symbol, DirectLike>)[DirectTransportId]
      const generic = HttpClient.tapRequest(client, () => Effect.sync(() => void counts.generic++))
      return Object.defineProperty(generic, DirectTransportId, {
        value: {
          exchange: (request: unknown, handler: unknown) => {
            counts.direct++
            const exchange = direct.exchange(request, handler)
            return {
              ...exchange,
              pause: () => {
                paused.n++
                exchange.pause()
              }
            }
          }
        }
      })
    })
  ).pipe(Layer.provide(NodeTensormesh.transport()))

interface Received {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

const completion = JSON.stringify({
  id: "c",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: "Paris." }, finish_reason: "stop" }]
})

const chunk = (content: string) =>
  `data: ${
    JSON.stringify({
      id: "c",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta: { content }, finish_reason: null }]
    })
  }\n\n`

/** Records requests; answers a completion, or `n` chunks for a stream (`max_tokens`), written in one go. */
const server = Effect.acquireRelease(
  Effect.async<{ readonly baseUrl: string; readonly received: Array<Received>; readonly server: Http.Server }>(
    (resume) => {
      const received: Array<Received> = []
      const s = Http.createServer((req, res) => {
        let body = ""
        req.on("data", (c) => body += c)
        req.on("end", () => {
          received.push({ method: req.method!, url: req.url!, headers: req.headers, body })
          const json = JSON.parse(body)
          if (json.stream !== true) {
            res.writeHead(200, { "content-type": "application/json" })
            return res.end(completion)
          }
          if (req.headers["x-stall"] !== undefined) return // never answers
          res.writeHead(200, { "content-type": "text/event-stream" })
          const parts: Array<string> = []
          for (let i = 0; i < json.max_tokens; i++) parts.push(chunk(`t${i} `))
          parts.push("data: [DONE]\n\n")
          res.end(parts.join(""))
        })
      })
      s.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          baseUrl: `http://127.0.0.1:${(s.address() as AddressInfo).port}/v1`,
          received,
          server: s
        })))
    }
  ),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)

describe("the Node transport's direct path", () => {
  it.scopedLive("is offered by NodeTensormesh.transport and used by the SDK by default", () =>
    Effect.gen(function*() {
      const client = yield* Effect.provide(HttpClient.HttpClient, NodeTensormesh.transport()).pipe(noEnv)
      assert.isDefined((client as unknown as Record<symbol, unknown>)[DirectTransportId])
      const { baseUrl } = yield* server
      const counts = { direct: 0, generic: 0 }
      const result = yield* Effect.flatMap(Serverless, (tm) =>
        Effect.all([
          tm.chat.completions.create({ model: "m", messages }),
          tm.chat.completions.stream({ model: "m", messages, max_tokens: 3 }).pipe(
            ChatStream.textDeltas,
            Stream.mkString
          )
        ])).pipe(
          Effect.provide(ServerlessLayer({ baseUrl, apiKey: KEY }).pipe(Layer.provide(countingTransport(counts)))),
          noEnv
        )
      assert.deepStrictEqual([result[0].choices[0].message.content, result[1]], ["Paris.", "t0 t1 t2 "])
      assert.deepStrictEqual(counts, { direct: 2, generic: 0 })
    }))

  it.scopedLive("sends the same requests as the HttpClient path", () =>
    Effect.gen(function*() {
      const { baseUrl, received } = yield* server
      const calls = (tm: Serverless["Type"]) =>
        Effect.all([
          tm.chat.completions.create({ model: "m", messages }, { headers: { "X-Trace": "abc", Accept: "x" } }),
          tm.chat.completions.stream({ model: "m", messages, max_tokens: 2 }).pipe(Stream.runDrain),
          tm.tokenize.create({ model: "m", prompt: "abc" }).pipe(Effect.ignore)
        ])
      const options = { baseUrl, apiKey: KEY, headers: { "X-Team": "t" } }
      yield* Effect.flatMap(Serverless, calls).pipe(
        Effect.provide(ServerlessLayer(options).pipe(Layer.provide(NodeTensormesh.transport()))),
        noEnv
      )
      const direct = received.splice(0)
      yield* Effect.flatMap(Serverless, calls).pipe(
        Effect.provide(
          ServerlessLayer({ ...options, transformClient: (c) => HttpClient.mapRequest(c, (r) => r) }).pipe(
            Layer.provide(NodeTensormesh.transport())
          )
        ),
        noEnv
      )
      const generic = received.splice(0)
      const shape = (r: Received) => {
        const { connection: _c, host: _h, ...headers } = r.headers
        return { method: r.method, url: r.url, headers, body: JSON.parse(r.body) }
      }
      assert.strictEqual(direct.length, 3)
      assert.deepStrictEqual(direct.map(shape), generic.map(shape))
    }))

  it.scopedLive("a stream much larger than the buffer, read slowly, arrives whole (pause and resume)", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* server
      const n = 20_000
      const paused = { n: 0 }
      const result = yield* Effect.flatMap(
        Serverless,
        (tm) =>
          tm.chat.completions.stream({ model: "m", messages, max_tokens: n }).pipe(
            ChatStream.textDeltas,
            // a consumer slower than the socket: every 2,000th delta waits a little
            Stream.mapEffect((text) =>
              Number(text.slice(1, -1)) % 2000 === 0 ? Effect.as(Effect.sleep(5), text) : Effect.succeed(text)
            ),
            Stream.runFold({ count: 0, last: "" }, (s, text) => ({ count: s.count + 1, last: text }))
          )
      ).pipe(
        Effect.provide(
          ServerlessLayer({ baseUrl, apiKey: KEY }).pipe(
            Layer.provide(countingTransport({ direct: 0, generic: 0 }, paused))
          )
        ),
        noEnv
      )
      assert.deepStrictEqual(result, { count: n, last: `t${n - 1} ` })
      assert.isAbove(paused.n, 0, "the exchange was paused")
    }))

  it.scopedLive("interrupting a stream before its headers aborts the request", () =>
    Effect.gen(function*() {
      const { baseUrl, server: s } = yield* server
      const closed = Effect.async<void>((resume) => {
        s.once("connection", (socket) => socket.once("close", () => resume(Effect.void)))
      })
      const waitClosed = yield* Effect.fork(closed)
      const fiber = yield* Effect.flatMap(Serverless, (tm) =>
        tm.chat.completions.stream({ model: "m", messages }, { headers: { "x-stall": "1" } }).pipe(
          Stream.runDrain
        )).pipe(
          Effect.provide(NodeTensormesh.serverless({ baseUrl, apiKey: KEY })),
          noEnv,
          Effect.fork
        )
      yield* Effect.sleep("100 millis")
      yield* Fiber.interrupt(fiber)
      yield* Fiber.join(waitClosed).pipe(Effect.timeoutFail({
        duration: "2 seconds",
        onTimeout: () =>
          "not closed"
      }))
    }))
})

describe("the fault table over the direct path", () => {
  for (const row of rows()) {
    it.live(row.name, () =>
      Effect.gen(function*() {
        const counts = { direct: 0, generic: 0 }
        const observed = yield* runRow(row, {
          layer: countingTransport(counts).pipe(
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map()))),
            Layer.orDie
          ),
          attempts: () => counts.direct + counts.generic
        })
        assert.strictEqual(observed.outcome, row.expect.outcome)
        assert.deepStrictEqual(counts, { direct: row.expect.attempts, generic: 0 }, "attempts, all direct")
        assert.isAtMost(observed.millis, row.expect.maxMillis, "finished in time")
        if (row.expect.minMillis !== undefined) assert.isAtLeast(observed.millis, row.expect.minMillis, "waited")
        if (row.expect.delivered === "some") assert.isAbove(observed.delivered, 0, "deltas delivered first")
        assert.isTrue(observed.renders, "the error renders")
        assert.isFalse(observed.leaked, "the key appears nowhere")
        if (row.expect.maxMessageLength !== undefined) {
          assert.isAtMost(observed.messageLength, row.expect.maxMessageLength, "message length")
        }
      }), 20_000)
  }
})
