// The Node transport (undici `dispatch`, no HttpClient in between) behind the SDK's seam, over real loopback HTTP:
// it is what the Node layers use; it sends exactly what the transport built from an HttpClient sends; every row of
// the fault table has the same outcome over it; backpressure and aborts work.
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { ChatStream, Serverless, ServerlessLayer, Transport } from "@tensormesh-effect/core"
import { ConfigProvider, Effect, Fiber, Layer, Redacted, Stream } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { makeDispatcher, missingUndiciApi, nodeTransport } from "../src/internal/transport.js"
import * as NodeTensormesh from "../src/NodeTensormesh.js"
import { rows, runRow } from "./support/faultTable.js"

const KEY = Redacted.make("ak-direct-test")
const messages = [{ role: "user" as const, content: "Hi" }]
const noEnv = Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))

/**
 * The Node transport, counting its exchanges (`send` and `open`) and the times undici was asked to pause a body.
 */
const countingTransport = (counts: { send: number; open: number }, paused = { n: 0 }) =>
  Layer.scoped(
    Transport.Transport,
    Effect.map(makeDispatcher({}), ({ agent, timeouts }): Transport.Service => {
      const counted = agent.compose((dispatch) => (options, handler) =>
        // the transport's handler is a class instance: its methods are forwarded, not spread
        dispatch(options, {
          onRequestStart: (controller, context) => {
            const pause = controller.pause.bind(controller)
            controller.pause = () => {
              paused.n++
              pause()
            }
            handler.onRequestStart?.(controller, context)
          },
          onRequestUpgrade: (controller, status, headers, socket) =>
            handler.onRequestUpgrade?.(controller, status, headers, socket),
          onResponseStart: (controller, status, headers, message) =>
            handler.onResponseStart?.(controller, status, headers, message),
          onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
          onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
          onResponseError: (controller, error) => handler.onResponseError?.(controller, error)
        })
      )
      const inner = nodeTransport(counted, timeouts)
      return {
        send: (request, limits) => Effect.suspend(() => (counts.send++, inner.send(request, limits))),
        open: (request, limits) => Effect.suspend(() => (counts.open++, inner.open(request, limits)))
      }
    })
  ).pipe(Layer.provide(NodeFileSystem.layer), Layer.orDie)

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

describe("the Node transport", () => {
  it.scopedLive("carries every call of a layer given it, and the Node layers use it", () =>
    Effect.gen(function*() {
      // the Node layers run on the Node transport: HttpClient middleware does not apply there
      const rejected = yield* Effect.flip(
        Effect.provide(Serverless, NodeTensormesh.serverless({ transformClient: (c) => c })).pipe(noEnv)
      )
      assert.strictEqual(rejected.reason, "InvalidConfig")
      const { baseUrl } = yield* server
      const counts = { send: 0, open: 0 }
      const result = yield* Effect.flatMap(Serverless, (tm) =>
        Effect.all([
          tm.chat.completions.create({ model: "m", messages }),
          tm.chat.completions.stream({ model: "m", messages, max_tokens: 3 }).pipe(
            ChatStream.textDeltas,
            Stream.mkString
          )
        ])).pipe(
          Effect.provide(
            ServerlessLayer.withTransport({ baseUrl, apiKey: KEY }).pipe(Layer.provide(countingTransport(counts)))
          ),
          noEnv
        )
      assert.deepStrictEqual([result[0].choices[0].message.content, result[1]], ["Paris.", "t0 t1 t2 "])
      assert.deepStrictEqual(counts, { send: 1, open: 1 })
    }))

  it.scopedLive("sends the same requests as a transport built from undici's HttpClient", () =>
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
        Effect.provide(ServerlessLayer.withTransport(options).pipe(Layer.provide(NodeTensormesh.nodeTransport()))),
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
          ServerlessLayer.withTransport({ baseUrl, apiKey: KEY }).pipe(
            Layer.provide(countingTransport({ send: 0, open: 0 }, paused))
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

describe("the fault table over the Node transport", () => {
  for (const row of rows()) {
    it.live(row.name, () =>
      Effect.gen(function*() {
        const counts = { send: 0, open: 0 }
        const observed = yield* runRow(row, {
          layer: countingTransport(counts),
          attempts: () => counts.send + counts.open
        })
        assert.strictEqual(observed.outcome, row.expect.outcome)
        assert.strictEqual(observed.attempts, row.expect.attempts, "attempts")
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

describe("the Node transport on a runtime without undici's APIs", () => {
  it("names the missing API so the layer fails with a typed error pointing at FetchHttpClient", () => {
    assert.isUndefined(missingUndiciApi({ dispatch() {}, compose() {}, destroy() {} }))
    // Bun's undici: an Agent without compose
    assert.strictEqual(missingUndiciApi({ dispatch() {}, destroy() {} }), "Agent.compose")
    assert.strictEqual(missingUndiciApi({}), "Agent.dispatch")
  })
})
