// The SDK over a real loopback HTTP server (node:http) and the platform's fetch transport: what goes on the wire
// and what comes back, on both surfaces, streams included.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Stream } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import {
  ChatStream,
  CompletionStream,
  OnDemand,
  OnDemandLayer,
  ResponseStream,
  Serverless,
  ServerlessLayer
} from "../src/index.js"
import type { InferenceClient } from "../src/InferenceClient.js"
import * as F from "./support/fixtures.js"
import { data } from "./support/mock.js"

interface Received {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: any
}

/** A small Tensormesh-shaped server: enough to check the wire, not an emulator. */
const startServer = Effect.acquireRelease(
  Effect.async<{ port: number; server: Http.Server; received: Array<Received>; closed: Array<string> }>((resume) => {
    const received: Array<Received> = []
    const closed: Array<string> = []
    const server = Http.createServer((req, res) => {
      let raw = ""
      req.on("data", (c) => raw += c)
      req.on("end", () => {
        const body = raw === "" ? undefined : JSON.parse(raw)
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body })
        res.on("close", () => closed.push(req.url!))
        const send = (status: number, payload: unknown) => {
          res.writeHead(status, { "content-type": "application/json" })
          res.end(JSON.stringify(payload))
        }
        if (req.headers["x-fault"] === "stall") {
          res.writeHead(200, { "content-type": "text/event-stream" })
          res.write(data(F.chunk({ content: "A" })))
          return // never ends: the client must abort
        }
        switch (`${req.method} ${req.url}`) {
          case "POST /v1/chat/completions":
            if (body.stream) {
              res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" })
              for (const piece of ["<think>hm</think>", "Hel", "lo"]) res.write(data(F.chunk({ content: piece })))
              res.write(data(F.chunk({}, "stop")))
              res.write(data(F.usageChunk))
              return res.end("data: [DONE]\n\n")
            }
            return send(200, F.chatCompletion("Hello"))
          case "POST /v1/completions":
            if (body.stream) {
              res.writeHead(200, { "content-type": "text/event-stream" })
              res.write(data(F.textCompletion(" o")))
              res.write(data(F.textCompletion("k")))
              return res.end("data: [DONE]\n\n")
            }
            return send(200, F.textCompletion(" ok"))
          case "POST /v1/responses":
            if (body.stream) {
              res.writeHead(200, { "content-type": "text/event-stream" })
              const final = F.response("ok", { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 })
              res.write(`event: response.output_text.delta\ndata: ${
                JSON.stringify({
                  type: "response.output_text.delta",
                  sequence_number: 0,
                  item_id: "i",
                  output_index: 0,
                  content_index: 0,
                  delta: "ok"
                })
              }\n\n`)
              return res.end(
                `event: response.completed\ndata: ${
                  JSON.stringify({ type: "response.completed", sequence_number: 1, response: final })
                }\n\n`
              )
            }
            return send(200, F.response("ok", { input_tokens: 1, output_tokens: 1, total_tokens: 2 }))
          case "GET /v1/models":
            return send(200, F.models)
          case "POST /tokenize":
            return send(200, { count: 2, max_model_len: 4096, tokens: [1, 2], token_strs: null })
          case "POST /detokenize":
            return send(200, { prompt: "Hi" })
          case "GET /health":
            res.writeHead(200)
            return res.end()
          case "GET /version":
            return send(200, { version: "0.27.1" })
          default:
            return send(404, { detail: "Not Found" })
        }
      })
    })
    server.listen(
      0,
      "127.0.0.1",
      () => resume(Effect.succeed({ port: (server.address() as AddressInfo).port, server, received, closed }))
    )
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)

const everyEndpoint = (tm: InferenceClient) =>
  Effect.all({
    chat: tm.chat.completions.create({ model: "m", messages: [{ role: "user", content: "Hi" }] }),
    chatText: tm.chat.completions.stream({ model: "m", messages: [{ role: "user", content: "Hi" }] }).pipe(
      ChatStream.textDeltas,
      Stream.mkString
    ),
    completion: tm.completions.create({ model: "m", prompt: "x", max_tokens: 2 }),
    completionText: tm.completions.stream({ model: "m", prompt: "x", max_tokens: 2 }).pipe(
      CompletionStream.textDeltas,
      Stream.mkString
    ),
    response: tm.responses.create({ model: "m", input: "x" }),
    responseText: tm.responses.stream({ model: "m", input: "x" }).pipe(ResponseStream.textDeltas, Stream.mkString),
    models: tm.models.list(),
    tokens: tm.tokenize.create({ model: "m", prompt: "Hi" }),
    prompt: tm.detokenize.create({ model: "m", tokens: [1, 2] }),
    health: tm.health.get(),
    version: tm.version.get()
  })

describe("over a loopback HTTP server", () => {
  for (const surface of ["serverless", "on-demand"] as const) {
    it.scopedLive(`${surface}: every endpoint, with the right method, path and headers`, () =>
      Effect.gen(function*() {
        const { port, received } = yield* startServer
        const baseUrl = `http://127.0.0.1:${port}/v1/`
        const apiKey = Redacted.make(F.KEY)
        const results = surface === "serverless"
          ? yield* Effect.flatMap(Serverless, everyEndpoint).pipe(
            Effect.provide(ServerlessLayer({ baseUrl, apiKey }).pipe(Layer.provide(FetchHttpClient.layer)))
          )
          : yield* Effect.flatMap(OnDemand, everyEndpoint).pipe(
            Effect.provide(
              OnDemandLayer({ baseUrl, userId: F.USER_ID, apiKey }).pipe(Layer.provide(FetchHttpClient.layer))
            )
          )
        assert.strictEqual(results.chat.choices[0].message.content, "Hello")
        assert.strictEqual(results.chatText, "Hello")
        assert.strictEqual(results.completion.choices[0].text, " ok")
        assert.strictEqual(results.completionText, " ok")
        assert.strictEqual(results.response.output_text, "ok")
        assert.strictEqual(results.responseText, "ok")
        assert.strictEqual(results.models.data[0].id, "openai/gpt-oss-120b")
        assert.deepStrictEqual(results.tokens.tokens, [1, 2])
        assert.strictEqual(results.prompt.prompt, "Hi")
        assert.strictEqual(results.health.status, "ok")
        assert.strictEqual(results.version.version, "0.27.1")
        assert.deepStrictEqual(received.map((r) => `${r.method} ${r.url}`).sort(), [
          "GET /health",
          "GET /v1/models",
          "GET /version",
          "POST /detokenize",
          "POST /tokenize",
          "POST /v1/chat/completions",
          "POST /v1/chat/completions",
          "POST /v1/completions",
          "POST /v1/completions",
          "POST /v1/responses",
          "POST /v1/responses"
        ])
        for (const r of received) {
          assert.strictEqual(r.headers["authorization"], `Bearer ${F.KEY}`)
          assert.strictEqual(r.headers["x-user-id"], surface === "on-demand" ? F.USER_ID : undefined)
          assert.match(r.headers["user-agent"] ?? "", /^tensormesh-effect\//)
        }
      }))
  }

  it.scopedLive("interrupting a stream closes the connection the server sees", () =>
    Effect.gen(function*() {
      const { closed, port } = yield* startServer
      const tm = yield* Effect.provide(
        Serverless,
        ServerlessLayer({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: Redacted.make(F.KEY) }).pipe(
          Layer.provide(FetchHttpClient.layer)
        )
      )
      const first = yield* tm.chat.completions.stream(
        { model: "m", messages: [{ role: "user", content: "Hi" }] },
        { headers: { "x-fault": "stall" } }
      ).pipe(Stream.take(1), Stream.runCollect)
      assert.strictEqual(Chunk.unsafeHead(first).choices[0].delta.content, "A")
      for (let i = 0; i < 100 && closed.length === 0; i++) yield* Effect.sleep("10 millis")
      assert.deepStrictEqual(closed, ["/v1/chat/completions"])
    }))
})
