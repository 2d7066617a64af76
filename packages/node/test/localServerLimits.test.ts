// The local server under hostile requests (issue 11, items 7 and 8), over real loopback sockets: a body limit
// enforced while reading, streams written with back-pressure, bounded output per request, the context check before
// tokenizing, vLLM's sampling ranges. After every probe the server is up and `/health` answers.
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Either, Exit } from "effect"
import * as Http from "node:http"
import { parseArgs } from "../src/internal/localServer/cli.js"
import * as LocalServer from "../src/LocalServer.js"
import { get, KEY, post } from "./support/http.js"

const healthy = (server: LocalServer.Service) =>
  Effect.gen(function*() {
    const start = performance.now()
    const health = yield* get(server, "/health")
    assert.strictEqual(health.status, 200, "the server is up")
    assert.isBelow(performance.now() - start, 1000, "/health answers at once")
  })

const timed = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.timed(self), ([duration, value]) => ({ value, millis: Duration.toMillis(duration) }))

const chat = (server: LocalServer.Service, body: Record<string, unknown>) =>
  post(server, "/v1/chat/completions", {
    model: "tensormesh/echo",
    messages: [{ role: "user", content: "Hi" }],
    ...body
  })

const errorOf = (json: any) => json.error as { message: string; type: string; param: string | null; code: number }

/** Streams a chunked body (no Content-Length) until the server answers; reports what it sent and got. */
const endlessUpload = (server: LocalServer.Service, chunkBytes: number, maxBytes: number) =>
  Effect.async<{ status: number | undefined; sent: number; body: string }>((resume) => {
    let sent = 0
    let done = false
    const chunk = Buffer.alloc(chunkBytes, "a")
    const req = Http.request(`${server.root}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }
    }, (res) => {
      done = true
      const parts: Array<Buffer> = []
      res.on("data", (part: Buffer) => parts.push(part))
      res.on("end", () => {
        req.destroy()
        resume(Effect.succeed({ status: res.statusCode, sent, body: Buffer.concat(parts).toString() }))
      })
    })
    req.on("error", () => {
      if (!done) resume(Effect.succeed({ status: undefined, sent, body: "" }))
    })
    req.write("{\"model\":\"tensormesh/echo\",\"messages\":[{\"role\":\"user\",\"content\":\"")
    const pump = () => {
      while (!done && sent < maxBytes) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once("drain", pump)
      }
      if (!done) req.end("\"}]}")
    }
    pump()
    return Effect.sync(() => req.destroy())
  })

describe("request body limit", () => {
  it.live(
    "a body over maxRequestBytes gets vLLM's 413 before it is read; the server stays up",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* LocalServer.make({ maxRequestBytes: 1024 * 1024 })
        for (const size of [4, 16]) {
          const big = {
            model: "tensormesh/echo",
            messages: [{ role: "user", content: "a".repeat(size * 1024 * 1024) }]
          }
          const { millis, value: res } = yield* timed(post(server, "/v1/chat/completions", big))
          assert.strictEqual(res.status, 413)
          assert.deepStrictEqual(errorOf(res.json()), {
            message: "The request body is larger than this server's limit of 1048576 bytes.",
            type: "PayloadTooLargeError",
            param: null,
            code: 413
          })
          assert.isBelow(millis, 3000)
          yield* healthy(server)
        }
        const small = yield* chat(server, { messages: [{ role: "user", content: "a".repeat(1000_000) }] })
        assert.strictEqual(small.status, 400, "under the limit the route runs (and finds the context too long)")
        assert.include(errorOf(small.json()).message, "maximum context length")
      })),
    30_000
  )

  it.live(
    "a chunked body is refused as soon as it passes the limit, never buffered",
    () =>
      Effect.scoped(Effect.gen(function*() {
        for (const limit of [1, 4]) {
          const server = yield* LocalServer.make({ maxRequestBytes: limit * 1024 * 1024 })
          const heapBefore = process.memoryUsage().heapUsed
          const { millis, value } = yield* timed(endlessUpload(server, 64 * 1024, 256 * 1024 * 1024))
          assert.strictEqual(value.status, 413)
          assert.include(value.body, "PayloadTooLargeError")
          assert.isBelow(value.sent, limit * 1024 * 1024 + 32 * 1024 * 1024, "answered while the upload went on")
          assert.isBelow(process.memoryUsage().heapUsed - heapBefore, 64 * 1024 * 1024, "the body was not kept")
          assert.isBelow(millis, 10_000)
          yield* healthy(server)
        }
      })),
    60_000
  )

  it.live(
    "the default limit (16 MiB) refuses a declared 600 MiB body at once, and a chunked 20 MiB one",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* LocalServer.make()
        const declared = yield* Effect.async<number | undefined>((resume) => {
          const req = Http.request(`${server.root}/v1/chat/completions`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${KEY}`,
              "content-type": "application/json",
              "content-length": String(600 * 1024 * 1024)
            }
          }, (res) => {
            res.resume()
            req.destroy()
            resume(Effect.succeed(res.statusCode))
          })
          req.on("error", () => resume(Effect.succeed(undefined)))
          req.write("{\"model\":")
          return Effect.sync(() => req.destroy())
        })
        assert.strictEqual(declared, 413)
        yield* healthy(server)
        const chunked = yield* endlessUpload(server, 256 * 1024, 20 * 1024 * 1024)
        assert.strictEqual(chunked.status, 413)
        yield* healthy(server)
      })),
    30_000
  )

  it.effect("maxRequestBytes is validated, and set from the command line", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(LocalServer.make({ maxRequestBytes: 0 })))
      assert.isTrue(Exit.isFailure(exit))
      const parsed = parseArgs(["--max-request-bytes", "2048"])
      assert.isTrue(
        Either.isRight(parsed) && parsed.right._tag === "Serve" && parsed.right.options.maxRequestBytes === 2048
      )
      for (const value of ["0", "-1", "x", "1.5"]) {
        assert.isTrue(Either.isLeft(parseArgs(["--max-request-bytes", value])), value)
      }
    }))
})

describe("bounded output", () => {
  const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i % 10}`).join(" ")

  it.live(
    "n: 128 with a 20k-word prompt is refused at once (the output would exceed 262,144 tokens)",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* LocalServer.make()
        for (const stream of [true, false]) {
          const { millis, value: res } = yield* timed(chat(server, {
            model: "openai/gpt-oss-20b",
            messages: [{ role: "user", content: words(20_000) }],
            n: 128,
            stream
          }))
          assert.strictEqual(res.status, 400)
          const error = errorOf(res.json())
          assert.strictEqual(error.param, "n")
          assert.match(error.message, /at most 262144 output tokens/)
          assert.isBelow(millis, 5000)
          yield* healthy(server)
        }
      })),
    30_000
  )

  it.live(
    "1,000 prompts × n: 128 on completions is refused; the bounds let normal batches through",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* LocalServer.make()
        const completions = (body: Record<string, unknown>) =>
          post(server, "/v1/completions", { model: "tensormesh/echo", ...body })
        const many = yield* completions({ prompt: Array.from({ length: 1000 }, () => "Hi"), n: 128, stream: true })
        assert.strictEqual(many.status, 400)
        assert.match(errorOf(many.json()).message, /at most 1024 choices/)
        const batch = yield* completions({ prompt: Array.from({ length: 8 }, () => "Hi"), n: 128 })
        assert.strictEqual(batch.status, 200)
        assert.strictEqual(batch.json().choices.length, 1024)
        const echoed = yield* completions({ prompt: words(1000), n: 128, echo: true, max_tokens: 1 })
        assert.strictEqual(echoed.status, 400, "echoed prompt tokens count")
        const fine = yield* completions({ prompt: Array.from({ length: 1000 }, () => "Hi") })
        assert.strictEqual(fine.status, 200)
        assert.strictEqual(fine.json().choices.length, 1000)
        yield* healthy(server)
      })),
    30_000
  )

  it.live(
    "a stream is written as the client reads: a paused reader holds no more than the socket's buffers",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* LocalServer.make()
        // 3 choices × ~70k tokens: ~210k frames, ~60 MB if built in memory
        const body = JSON.stringify({
          model: "openai/gpt-oss-20b",
          messages: [{ role: "user", content: words(20_000) }],
          n: 3,
          stream: true
        })
        const heapBefore = process.memoryUsage().heapUsed
        const { received, req } = yield* Effect.async<{ received: () => number; req: Http.ClientRequest }>(
          (resume) => {
            let bytes = 0
            const req = Http.request(`${server.root}/v1/chat/completions`, {
              method: "POST",
              headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }
            }, (res) => {
              res.once("data", (chunk: Buffer) => {
                bytes += chunk.length
                res.pause()
                resume(Effect.succeed({ received: () => bytes, req }))
              })
            })
            req.end(body)
          }
        )
        yield* Effect.addFinalizer(() => Effect.sync(() => req.destroy()))
        yield* Effect.sleep("500 millis")
        yield* healthy(server)
        const grown = process.memoryUsage().heapUsed - heapBefore
        assert.isBelow(grown, 40 * 1024 * 1024, `heap grew by ${Math.round(grown / 1024 / 1024)} MiB`)
        assert.isAbove(received(), 0)
      })),
    60_000
  )
})

describe("context length before tokenizing", () => {
  it.live(
    "a huge prompt is refused from its length (1× and 4×: no tokenizing)",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* LocalServer.make({ maxRequestBytes: 256 * 1024 * 1024 })
        const millis: Array<number> = []
        for (const size of [4, 16]) {
          const prompt = "a ".repeat(size * 512 * 1024)
          for (
            const [path, body] of [
              ["/tokenize", { model: "tensormesh/echo", prompt }],
              ["/v1/completions", { model: "tensormesh/echo", prompt }],
              ["/v1/chat/completions", { model: "openai/gpt-oss-20b", messages: [{ role: "user", content: prompt }] }],
              ["/v1/responses", { model: "openai/gpt-oss-20b", input: prompt }]
            ] as const
          ) {
            const { millis: took, value: res } = yield* timed(post(server, path, body))
            assert.strictEqual(res.status, 400, path)
            assert.match(
              errorOf(res.json()).message,
              /maximum context length is \d+ tokens\. However, your request has at least \d+ input tokens/
            )
            millis.push(took)
            yield* healthy(server)
          }
        }
        const [small, large] = [millis.slice(0, 4), millis.slice(4)].map((ms) => ms.reduce((a, b) => a + b, 0))
        assert.isBelow(large!, 8000)
        assert.isBelow(large!, 10 * small! + 500, "linear in the body, not in the tokens")
      })),
    60_000
  )

  it.effect("below the bound, exact counts as before: /tokenize counts past the context, as vLLM does", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* LocalServer.make()
      const over = "ab ".repeat(2100) // 4200 tokens on a 4096-token model
      const counted = yield* post(server, "/tokenize", { model: "tensormesh/echo", prompt: over })
      assert.strictEqual(counted.status, 200)
      assert.strictEqual(counted.json().count, 4200)
      const refused = yield* chat(server, { messages: [{ role: "user", content: over }] })
      assert.strictEqual(refused.status, 400)
      assert.match(errorOf(refused.json()).message, /However, your request has \d+ input tokens/)
    })))
})

describe("vLLM's sampling ranges", () => {
  const rejected: ReadonlyArray<readonly [string, string, string, string | null]> = [
    ["temperature", "1e999", "temperature must be a finite number, got inf.", "temperature"],
    ["temperature", "-1e999", "temperature must be a finite number, got -inf.", "temperature"],
    ["temperature", "-0.5", "temperature must be non-negative, got -0.5.", "temperature"],
    ["temperature", "2.5", "temperature must be in [0, 2], got 2.5.", "temperature"],
    ["top_p", "-5", "top_p must be in (0, 1], got -5.0.", "top_p"],
    ["top_p", "0", "top_p must be in (0, 1], got 0.0.", "top_p"],
    ["top_p", "1.5", "top_p must be in (0, 1], got 1.5.", "top_p"],
    ["top_p", "1e999", "top_p must be in (0, 1], got inf.", "top_p"],
    ["top_k", "-2", "top_k must be 0 (disable), or at least 1, got -2.", null],
    ["min_p", "1.5", "min_p must be in [0, 1], got 1.5.", null],
    ["presence_penalty", "3", "presence_penalty must be in [-2, 2], got 3.0.", null],
    ["frequency_penalty", "-1e999", "frequency_penalty must be in [-2, 2], got -inf.", null],
    ["repetition_penalty", "0", "repetition_penalty must be greater than zero, got 0.0.", null],
    ["repetition_penalty", "1e999", "repetition_penalty must be a finite number, got inf.", null],
    ["min_tokens", "-1", "min_tokens must be greater than or equal to 0, got -1.", null]
  ]
  const accepted: ReadonlyArray<readonly [string, string]> = [
    ["temperature", "0"],
    ["temperature", "2"],
    ["top_p", "1"],
    ["top_p", "0.01"],
    ["top_k", "-1"],
    ["top_k", "0"],
    ["min_p", "0"],
    ["presence_penalty", "-2"],
    ["repetition_penalty", "1.2"],
    ["min_tokens", "0"]
  ]

  it.live(
    "out of range or non-finite: 400 with vLLM's message, on every generating route",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* LocalServer.make()
        const routes = [
          ["/v1/chat/completions", `"messages":[{"role":"user","content":"Hi"}]`],
          ["/v1/completions", `"prompt":"Hi"`]
        ] as const
        for (const [path, input] of routes) {
          for (const [field, value, message, param] of rejected) {
            const res = yield* post(server, path, `{"model":"tensormesh/echo",${input},"${field}":${value}}`)
            assert.strictEqual(res.status, 400, `${path} ${field}=${value}`)
            assert.deepStrictEqual(errorOf(res.json()), { message, type: "BadRequestError", param, code: 400 })
          }
          for (const [field, value] of accepted) {
            const res = yield* post(server, path, `{"model":"tensormesh/echo",${input},"${field}":${value}}`)
            assert.strictEqual(res.status, 200, `${path} ${field}=${value}: ${res.text}`)
          }
        }
        for (const [field, value] of [["temperature", "1e999"], ["top_p", "-5"], ["temperature", "3"]]) {
          const res = yield* post(
            server,
            "/v1/responses",
            `{"model":"tensormesh/echo","input":"Hi","${field}":${value}}`
          )
          assert.strictEqual(res.status, 400, `responses ${field}=${value}`)
        }
        for (const body of [{ n: 0 }, { max_tokens: 0 }, { n: 129 }]) {
          assert.strictEqual((yield* chat(server, body)).status, 400, JSON.stringify(body))
        }
        yield* healthy(server)
      })),
    30_000
  )
})
