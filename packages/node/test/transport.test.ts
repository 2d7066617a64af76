// The Node layers end to end over loopback servers (node:http and node:https on 127.0.0.1): chat calls and streams on
// both surfaces, keep-alive, the CA bundle, and streams slower than undici's own body timeout would allow.
import { assert, describe, it } from "@effect/vitest"
import {
  ChatStream,
  OnDemand,
  Serverless,
  ServerlessLayer,
  UpstreamError,
  ValidationError
} from "@tensormesh-effect/core"
import { ConfigProvider, type Duration, Effect, Layer, Option, Redacted, Stream } from "effect"
import * as NodeFs from "node:fs"
import * as Http from "node:http"
import * as Https from "node:https"
import type { AddressInfo } from "node:net"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as Layers from "../src/internal/config/layers.js"
import * as Transport from "../src/internal/transport.js"
import * as NodeTensormesh from "../src/NodeTensormesh.js"
import * as TmConfig from "../src/TmConfig.js"

const KEY = "ak-test-SECRET-42"
const USER_ID = "1f0c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5"
const messages = [{ role: "user" as const, content: "Hi" }]

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

// A self-signed certificate for IP 127.0.0.1 (P-256, valid until 2126), made for these tests only.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPG8PLV9YQeYy63ie
otyTmImFyQatoh+TpYAp9H2REYWhRANCAATqzB4kuxdhcDiv/1zb042HkHjP5IWG
naBK2IYxVBgLLmFtMcZP41m2H04mz8x7jB5kEuDCBzqhrtkmu7gLa82B
-----END PRIVATE KEY-----
`
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBvDCCAWKgAwIBAgIUcmY6p8lLHN+Y6V9M4a+9/oGStzMwCgYIKoZIzj0EAwIw
KjEoMCYGA1UEAwwfdGVuc29ybWVzaC1lZmZlY3QgbG9vcGJhY2sgdGVzdDAgFw0y
NjExMjYwMDMwMDBaGA8yMTI2MTEwMjAwMzAwMFowKjEoMCYGA1UEAwwfdGVuc29y
bWVzaC1lZmZlY3QgbG9vcGJhY2sgdGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABOrMHiS7F2FwOK//XNvTjYeQeM/khYadoErYhjFUGAsuYW0xxk/jWbYfTibP
zHuMHmQS4MIHOqGu2Sa7uAtrzYGjZDBiMB0GA1UdDgQWBBS1xrm/BmtAUdJGNS5S
sY5yJqHCvzAfBgNVHSMEGDAWgBS1xrm/BmtAUdJGNS5SsY5yJqHCvzAPBgNVHREE
CDAGhwR/AAABMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAOLX
5WRKqXii4yrfgKk2OaQILG6Sy5h+yleZVm+X8RIyAiAM1vVeZiUy+rcFWVOs31R6
kTxCQSFXShpZ9FIxoEIgcg==
-----END CERTIFICATE-----
`

interface Received {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: any
  readonly remotePort: number | undefined
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${
    JSON.stringify({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1767225600,
      model: "m",
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }]
    })
  }\n\n`

const usage = `data: ${
  JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1767225600,
    model: "m",
    choices: [],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }
  })
}\n\n`

const completion = (model: string) => ({
  id: "chatcmpl-7f3a",
  object: "chat.completion",
  created: 1767225600,
  model,
  choices: [{
    index: 0,
    message: { role: "assistant", content: "Paris.", refusal: null, tool_calls: [] },
    logprobs: null,
    finish_reason: "stop",
    stop_reason: null
  }],
  usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 }
})

/**
 * Serves chat completions (JSON, or SSE pausing `x-pause-ms` between events, or `x-stall-ms` once after the first
 * event), `/health`, and 404 otherwise.
 */
const handler = (received: Array<Received>): Http.RequestListener => (req, res) => {
  let raw = ""
  req.on("data", (c) => raw += c)
  req.on("end", () => {
    const body = raw === "" ? undefined : JSON.parse(raw)
    received.push({ method: req.method!, url: req.url!, headers: req.headers, body, remotePort: req.socket.remotePort })
    const route = `${req.method} ${req.url}`
    if (route === "GET /health") {
      res.writeHead(200)
      return res.end()
    }
    if (route !== "POST /v1/chat/completions") {
      res.writeHead(404, { "content-type": "application/json" })
      return res.end(JSON.stringify({ detail: "Not Found" }))
    }
    if (!body.stream) {
      res.writeHead(200, { "content-type": "application/json" })
      return res.end(JSON.stringify(completion(body.model)))
    }
    const pause = Number(req.headers["x-pause-ms"] ?? 0)
    const stall = Number(req.headers["x-stall-ms"] ?? 0)
    const events = [
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "Hel" }),
      chunk({ content: "lo" }),
      chunk({}, "stop"),
      usage,
      "data: [DONE]\n\n"
    ]
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" })
    res.flushHeaders()
    const next = (i: number) => {
      if (res.destroyed) return
      if (i === events.length) return res.end()
      res.write(events[i])
      const wait = i === 0 && stall > 0 ? stall : pause
      if (wait === 0) next(i + 1)
      else setTimeout(() => next(i + 1), wait)
    }
    next(0)
  })
}

const listen = (server: Http.Server | Https.Server) =>
  Effect.acquireRelease(
    Effect.async<number>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
    }),
    () =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const startServer = Effect.gen(function*() {
  const received: Array<Received> = []
  const port = yield* listen(Http.createServer(handler(received)))
  return { baseUrl: `http://127.0.0.1:${port}/v1`, received }
})

const startTlsServer = Effect.gen(function*() {
  const received: Array<Received> = []
  const port = yield* listen(Https.createServer({ key: TEST_KEY, cert: TEST_CERT }, handler(received)))
  return { baseUrl: `https://127.0.0.1:${port}/v1`, received }
})

const tempDir = Effect.acquireRelease(
  Effect.sync(() => NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "tensormesh-transport-"))),
  (dir) => Effect.sync(() => NodeFs.rmSync(dir, { recursive: true, force: true }))
)

const chatBoth = (tm: Serverless["Type"], model = "m", headers?: Record<string, string>) =>
  Effect.all({
    done: tm.chat.completions.create({ model, messages }),
    text: tm.chat.completions.stream({ model, messages }, headers === undefined ? undefined : { headers }).pipe(
      ChatStream.textDeltas,
      Stream.mkString
    )
  })

describe("NodeTensormesh over loopback", () => {
  it.scopedLive("serverless: a chat create and a chat stream, over one kept-alive connection", () =>
    Effect.gen(function*() {
      const { baseUrl, received } = yield* startServer
      const result = yield* Effect.flatMap(Serverless, (tm) =>
        Effect.zipLeft(
          chatBoth(tm),
          // once a response is read, its connection goes back to the pool for the next request
          Effect.zipRight(Effect.sleep("50 millis"), tm.chat.completions.create({ model: "m", messages }))
        )).pipe(
          Effect.provide(NodeTensormesh.serverless({ baseUrl, apiKey: Redacted.make(KEY) })),
          withEnv({})
        )
      assert.strictEqual(result.done.choices[0].message.content, "Paris.")
      assert.strictEqual(result.text, "Hello")
      assert.deepStrictEqual(received.map((r) => `${r.method} ${r.url} ${r.body.stream === true}`), [
        "POST /v1/chat/completions false",
        "POST /v1/chat/completions true",
        "POST /v1/chat/completions false"
      ])
      for (const r of received) {
        assert.strictEqual(r.headers["authorization"], `Bearer ${KEY}`)
        assert.strictEqual(r.headers["x-user-id"], undefined)
      }
      // the last request went over a pooled connection, not a new one
      assert.include([received[0].remotePort, received[1].remotePort], received[2].remotePort)
    }))

  it.scopedLive("serverless: base URL and key from the environment", () =>
    Effect.gen(function*() {
      const { baseUrl, received } = yield* startServer
      const result = yield* Effect.flatMap(Serverless, (tm) => chatBoth(tm)).pipe(
        Effect.provide(NodeTensormesh.serverless()),
        withEnv({ TENSORMESH_SERVERLESS_BASE_URL: baseUrl, TENSORMESH_INFERENCE_API_KEY: KEY })
      )
      assert.strictEqual(result.text, "Hello")
      assert.strictEqual(received[0].headers["authorization"], `Bearer ${KEY}`)
    }))

  it.scopedLive("on-demand from the tm file: X-User-Id, the key and the served model name arrive", () =>
    Effect.gen(function*() {
      const { baseUrl, received } = yield* startServer
      const dir = yield* tempDir
      NodeFs.writeFileSync(
        NodePath.join(dir, "config.toml"),
        `[managed]\ngateway_api_key = "${KEY}"\ngateway_user_id = "${USER_ID}"\ngateway_base_url = "${baseUrl}"\n` +
          `gateway_model_id = "openai-gpt-oss-120b-gpu-type-h200x1_8nic16"\n`
      )
      const result = yield* Effect.gen(function*() {
        const tm = yield* OnDemand
        const model = Option.getOrThrow(yield* TmConfig.model())
        return yield* chatBoth(tm, model)
      }).pipe(
        Effect.provide(NodeTensormesh.onDemand({ readTmConfig: true })),
        withEnv({ TM_CONFIG_HOME: dir })
      )
      assert.strictEqual(result.done.model, "openai-gpt-oss-120b-gpu-type-h200x1_8nic16")
      assert.strictEqual(result.text, "Hello")
      assert.strictEqual(received.length, 2)
      for (const r of received) {
        assert.strictEqual(r.headers["x-user-id"], USER_ID)
        assert.strictEqual(r.headers["authorization"], `Bearer ${KEY}`)
        assert.strictEqual(r.body.model, "openai-gpt-oss-120b-gpu-type-h200x1_8nic16")
      }
    }))

  it.scopedLive("layer: both surfaces over one transport, X-User-Id only on on-demand", () =>
    Effect.gen(function*() {
      const serverless = yield* startServer
      const onDemand = yield* startServer
      const result = yield* Effect.all({
        serverless: Effect.flatMap(Serverless, (tm) => tm.chat.completions.create({ model: "s", messages })),
        onDemand: Effect.flatMap(OnDemand, (tm) => tm.chat.completions.create({ model: "o", messages }))
      }).pipe(
        Effect.provide(
          NodeTensormesh.layer({ serverlessBaseUrl: serverless.baseUrl, onDemandBaseUrl: onDemand.baseUrl })
        ),
        withEnv({ TENSORMESH_INFERENCE_API_KEY: KEY, TENSORMESH_ON_DEMAND_USER_ID: USER_ID })
      )
      assert.strictEqual(result.serverless.model, "s")
      assert.strictEqual(result.onDemand.model, "o")
      assert.strictEqual(serverless.received[0].headers["x-user-id"], undefined)
      assert.strictEqual(onDemand.received[0].headers["x-user-id"], USER_ID)
      assert.strictEqual(onDemand.received[0].headers["authorization"], `Bearer ${KEY}`)
    }))
})

describe("the undici transport", () => {
  const slow = { "x-pause-ms": "300" }
  // undici checks its body timeout on a coarse clock (about every 0.5 s), so the control stalls long enough for a
  // 100 ms limit to be seen for certain: 2 s after the first event.
  const stalled = { "x-stall-ms": "2000" }

  it.scopedLive("control: with undici's body timeout at 100 ms, a stream stalling 2 s is cut", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* startServer
      const error = yield* Effect.flatMap(Serverless, (tm) => chatBoth(tm, "m", stalled)).pipe(
        Effect.provide(
          Layers.serverless(
            { baseUrl, apiKey: Redacted.make(KEY) },
            { undiciTimeouts: { headersTimeout: 60_000, bodyTimeout: 100 } }
          )
        ),
        withEnv({}),
        Effect.flip
      )
      assert.instanceOf(error, UpstreamError)
      assert.strictEqual(error.reason, "Connection")
    }))

  it.scopedLive("the SDK's transport lets the same stream finish (the SDK's idle timeout applies instead)", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* startServer
      const result = yield* Effect.flatMap(Serverless, (tm) => chatBoth(tm, "m", stalled)).pipe(
        Effect.provide(NodeTensormesh.serverless({ baseUrl, apiKey: Redacted.make(KEY) })),
        withEnv({})
      )
      assert.strictEqual(result.text, "Hello")
      assert.deepStrictEqual(Transport.SDK_UNDICI_TIMEOUTS, { headersTimeout: 0, bodyTimeout: 0 })
    }))

  it.scopedLive("NodeTensormesh.transport under core's ServerlessLayer, with the SDK's idle timeout still enforced", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* startServer
      const core = (idleTimeout: Duration.DurationInput) =>
        ServerlessLayer({ baseUrl, apiKey: Redacted.make(KEY), idleTimeout }).pipe(
          Layer.provide(NodeTensormesh.transport())
        )
      const text = yield* Effect.flatMap(Serverless, (tm) => chatBoth(tm, "m", slow)).pipe(
        Effect.provide(core("2 seconds")),
        withEnv({})
      )
      assert.strictEqual(text.text, "Hello")
      const idle = yield* Effect.flatMap(Serverless, (tm) => chatBoth(tm, "m", slow)).pipe(
        Effect.provide(core("100 millis")),
        withEnv({}),
        Effect.flip
      )
      assert.instanceOf(idle, UpstreamError)
      assert.strictEqual(idle.reason, "IdleTimeout")
    }))

  it.scopedLive("a CA bundle makes a private certificate trusted; without it the connection fails", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* startTlsServer
      const dir = yield* tempDir
      const bundle = NodePath.join(dir, "corp-ca.pem")
      NodeFs.writeFileSync(bundle, TEST_CERT)

      const untrusted = yield* Effect.flatMap(Serverless, (tm) => tm.health.get()).pipe(
        Effect.provide(NodeTensormesh.serverless({ baseUrl, maxRetries: 0 })),
        withEnv({}),
        Effect.flip
      )
      assert.instanceOf(untrusted, UpstreamError)

      for (
        const [options, env] of [
          [{ caBundle: bundle }, {}],
          [{}, { TENSORMESH_CA_BUNDLE: bundle }]
        ] as const
      ) {
        const result = yield* Effect.flatMap(Serverless, (tm) => chatBoth(tm)).pipe(
          Effect.provide(NodeTensormesh.serverless({ ...options, baseUrl, apiKey: Redacted.make(KEY) })),
          withEnv(env)
        )
        assert.strictEqual(result.text, "Hello")
      }
    }))

  it.scopedLive("a bad transport option fails when the layer is built", () =>
    Effect.gen(function*() {
      const error = yield* Effect.scoped(Layer.build(NodeTensormesh.transport({ keepAliveTimeout: -1 }))).pipe(
        withEnv({}),
        Effect.flip
      )
      assert.instanceOf(error, ValidationError)
      assert.include(error.message, "keepAliveTimeout from option")
    }))
})
