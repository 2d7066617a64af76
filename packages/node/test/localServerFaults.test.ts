import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as LocalServer from "../src/LocalServer.js"
import { dataPayloads, frames, get, post, raw, request } from "./support/http.js"

const ECHO = "tensormesh/echo"
const chat = { model: ECHO, messages: [{ role: "user", content: "fault me" }] }
const streamed = { ...chat, stream: true }
const fault = (value: string) => ({ [LocalServer.FAULT_HEADER]: value })

layer(LocalServer.layer(), { excludeTestServices: true })("fault header", (it) => {
  describe("error statuses and bodies", () => {
    it.effect("every error shape", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const cases: Array<[string, number, string | null, (text: string) => void]> = [
          ["status=500", 500, "application/json", (text) =>
            assert.deepStrictEqual(JSON.parse(text), {
              error: { message: "Internal server error", type: "InternalServerError", param: null, code: 500 }
            })],
          ["status=400;shape=flat;message=bad%20thing", 400, "application/json", (text) =>
            assert.deepStrictEqual(JSON.parse(text), {
              object: "error",
              message: "bad thing",
              type: "BadRequestError",
              param: null,
              code: 400
            })],
          ["status=503;shape=string", 503, "application/json", (text) =>
            assert.deepStrictEqual(JSON.parse(text), { error: "Service Unavailable" })],
          ["status=422;shape=detail", 422, "application/json", (text) =>
            assert.deepStrictEqual(JSON.parse(text), { detail: "Unprocessable Entity" })],
          ["status=429;shape=text", 429, "text/plain; charset=utf-8", (text) =>
            assert.strictEqual(text, "Server is overloaded")],
          ["status=502;shape=html", 502, "text/html; charset=utf-8", (text) =>
            assert.strictEqual(text, "<html><body><h1>502 Bad Gateway</h1></body></html>")],
          ["status=504;shape=empty", 504, null, (text) =>
            assert.strictEqual(text, "")]
        ]
        for (const [header, status, contentType, check] of cases) {
          const res = yield* post(server, "/v1/chat/completions", chat, fault(header))
          assert.strictEqual(res.status, status, header)
          assert.strictEqual(res.headers.get("content-type"), contentType, header)
          check(res.text)
        }
      }))

    it.effect("status faults come before authentication and apply to GET routes", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const res = yield* request(`${server.root}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", ...fault("status=503") },
          body: "{}"
        })
        assert.strictEqual(res.status, 503)
        assert.strictEqual((yield* get(server, "/v1/models", fault("status=500"))).status, 500)
      }))

    it.effect("Retry-After as seconds or an HTTP date, and retry-after-ms", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const seconds = yield* post(server, "/v1/chat/completions", chat, fault("status=429; retry-after=2"))
        assert.strictEqual(seconds.status, 429)
        assert.strictEqual(seconds.headers.get("retry-after"), "2")
        const date = "Wed, 21 Oct 2015 07:28:00 GMT"
        const dated = yield* post(server, "/v1/chat/completions", chat, fault(`status=503;retry-after=${date}`))
        assert.strictEqual(dated.headers.get("retry-after"), date)
        const ms = yield* post(server, "/v1/chat/completions", chat, fault("status=429;retry-after-ms=250"))
        assert.strictEqual(ms.headers.get("retry-after-ms"), "250")
        assert.strictEqual(ms.headers.get("retry-after"), null)
      }))

    it.effect("a malformed JSON body and a body of the wrong shape, both 200", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const malformed = yield* post(server, "/v1/chat/completions", chat, fault("malformed-json"))
        assert.strictEqual(malformed.status, 200)
        assert.strictEqual(malformed.headers.get("content-type"), "application/json")
        assert.throws(() => JSON.parse(malformed.text))
        const wrong = yield* post(server, "/v1/chat/completions", chat, fault("wrong-shape"))
        assert.strictEqual(wrong.status, 200)
        assert.isFalse(Array.isArray(wrong.json().choices))
      }))

    it.effect("an invalid fault header is a 400", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        for (const header of ["explode", "status=99", "shape=round", "cut-after-chunks=x", "retry-after=soon"]) {
          const res = yield* post(server, "/v1/chat/completions", chat, fault(header))
          assert.strictEqual(res.status, 400, header)
          assert.match(res.json().error.message, /x-tensormesh-fault/)
        }
      }))

    it.effect("request-id echoes X-Request-Id, or generates one", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const echoed = yield* post(server, "/v1/chat/completions", chat, {
          ...fault("request-id"),
          "x-request-id": "req-42"
        })
        assert.strictEqual(echoed.headers.get("x-request-id"), "req-42")
        assert.strictEqual(echoed.json().id, "chatcmpl-req-42")
        const generated = yield* post(server, "/v1/chat/completions", chat, fault("request-id"))
        assert.match(generated.headers.get("x-request-id")!, /^[0-9a-f]{32}$/)
        const none = yield* post(server, "/v1/chat/completions", chat)
        assert.strictEqual(none.headers.get("x-request-id"), null)
      }))
  })

  describe("stream faults", () => {
    it.effect("an error event after N chunks, then [DONE]", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const res = yield* post(server, "/v1/chat/completions", streamed, fault("error-after-chunks=2"))
        assert.strictEqual(res.status, 200)
        const chunks = dataPayloads(res.text)
        assert.strictEqual(chunks.length, 4)
        assert.deepStrictEqual(chunks[2], {
          error: { message: "Internal server error", type: "InternalServerError", param: null, code: 500 }
        })
        assert.strictEqual(chunks[3], "[DONE]")
        const responses = yield* post(
          server,
          "/v1/responses",
          { model: ECHO, input: "x", stream: true },
          fault("error-after-chunks=3")
        )
        const events = frames(responses.text)
        assert.strictEqual(events.length, 4)
        assert.strictEqual(events[3].event, "error")
        assert.strictEqual(JSON.parse(events[3].data!).sequence_number, 3)
      }))

    it.effect("a stream cut after N chunks has no [DONE]", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const res = yield* post(server, "/v1/chat/completions", streamed, fault("cut-after-chunks=3"))
        const chunks = dataPayloads(res.text)
        assert.strictEqual(chunks.length, 3)
        assert.notInclude(res.text, "[DONE]")
        const responses = yield* post(
          server,
          "/v1/responses",
          { model: ECHO, input: "x", stream: true },
          fault("cut-after-chunks=5")
        )
        assert.notInclude(responses.text, "response.completed")
      }))

    it.effect("keep-alive comments interleaved with the frames", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const plain = dataPayloads((yield* post(server, "/v1/chat/completions", streamed)).text)
        const res = yield* post(server, "/v1/chat/completions", streamed, fault("ping"))
        const all = frames(res.text)
        assert.strictEqual(all.filter((frame) => frame.comment === "ping").length, plain.length - 1)
        assert.strictEqual(all[0].comment, "ping")
        const chunks = dataPayloads(res.text)
        assert.strictEqual(chunks.length, plain.length)
        assert.strictEqual(chunks[chunks.length - 1], "[DONE]")
      }))
  })

  describe("connection faults", () => {
    it.effect("reset before headers", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const result = yield* raw(server, "/v1/chat/completions", { body: chat, headers: fault("reset") })
        assert.strictEqual(result.status, undefined)
        assert.isDefined(result.error)
        assert.notStrictEqual(result.error, "timeout")
        const viaFetch = yield* Effect.either(
          Effect.tryPromise(() => fetch(`${server.root}/v1/models`, { headers: fault("reset") }))
        )
        assert.isTrue(Either.isLeft(viaFetch))
        assert.strictEqual((yield* get(server, "/v1/models")).status, 200, "the server keeps serving")
      }))

    it.effect("reset after N bytes of a JSON body and of a stream", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const json = yield* raw(server, "/v1/chat/completions", { body: chat, headers: fault("reset-after-bytes=20") })
        assert.strictEqual(json.status, 200)
        assert.strictEqual(json.body.length, 20)
        assert.isDefined(json.error)
        assert.notStrictEqual(json.error, "timeout")
        const sse = yield* raw(server, "/v1/chat/completions", {
          body: streamed,
          headers: fault("reset-after-bytes=300")
        })
        assert.strictEqual(sse.status, 200)
        assert.strictEqual(sse.body.length, 300)
        assert.isTrue(sse.body.toString("utf8").startsWith("data: {"))
        assert.isDefined(sse.error)
      }))

    it.effect("stall before headers, until the client gives up", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const result = yield* raw(server, "/v1/chat/completions", {
          body: chat,
          headers: fault("stall"),
          timeoutMs: 150
        })
        assert.strictEqual(result.status, undefined)
        assert.strictEqual(result.error, "timeout")
        const aborted = yield* Effect.either(
          Effect.tryPromise(() =>
            fetch(`${server.root}/health`, { headers: fault("stall"), signal: AbortSignal.timeout(100) })
          )
        )
        assert.isTrue(Either.isLeft(aborted))
        assert.strictEqual((yield* get(server, "/health")).status, 200)
      }))

    it.effect("stall mid-stream after N chunks", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const result = yield* raw(server, "/v1/chat/completions", {
          body: streamed,
          headers: fault("stall-after-chunks=2;ping"),
          timeoutMs: 200
        })
        assert.strictEqual(result.status, 200)
        assert.strictEqual(result.error, "timeout")
        const text = result.body.toString("utf8")
        assert.strictEqual(dataPayloads(text).length, 2)
        assert.strictEqual(frames(text).filter((frame) => frame.comment === "ping").length, 2)
        const headersOnly = yield* raw(server, "/v1/chat/completions", {
          body: chat,
          headers: fault("stall-after-chunks=0"),
          timeoutMs: 150
        })
        assert.strictEqual(headersOnly.status, 200, "headers are sent before the stall")
        assert.strictEqual(headersOnly.body.length, 0)
      }))
  })
})

describe("fault rules", () => {
  it.scopedLive("the first N requests to a route get the fault", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make({
        faults: [
          { route: "/v1/chat/completions", times: 2, fault: { status: 503, retryAfter: 1 } },
          { route: ["/v1/completions"], skip: 1, times: 1, fault: "status=429;shape=string" }
        ]
      })
      const first = yield* post(server, "/v1/chat/completions", chat)
      assert.strictEqual(first.status, 503)
      assert.strictEqual(first.headers.get("retry-after"), "1")
      assert.strictEqual((yield* get(server, "/v1/models")).status, 200, "other routes are not counted")
      assert.strictEqual((yield* post(server, "/v1/chat/completions", chat)).status, 503)
      assert.strictEqual((yield* post(server, "/v1/chat/completions", chat)).status, 200)
      const completion = { model: ECHO, prompt: "x" }
      assert.strictEqual((yield* post(server, "/v1/completions", completion)).status, 200)
      const second = yield* post(server, "/v1/completions", completion)
      assert.strictEqual(second.status, 429)
      assert.deepStrictEqual(second.json(), { error: "Server is overloaded" })
      assert.strictEqual((yield* post(server, "/v1/completions", completion)).status, 200)
    }))

  it.scopedLive("rules for every route merge with the header, which wins", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make({ faults: [{ fault: { requestId: true, status: 500 } }] })
      const res = yield* post(server, "/v1/chat/completions", chat, fault("status=502;shape=html"))
      assert.strictEqual(res.status, 502)
      assert.isNotNull(res.headers.get("x-request-id"))
    }))

  it.effect("an invalid rule string is a defect at start", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(LocalServer.make({ faults: [{ fault: "status=abc" }] })))
      assert.isTrue(exit._tag === "Failure")
    }))
})

describe("fault grammar", () => {
  it("parseFault and formatFault round trip", () => {
    const fault: LocalServer.Fault = {
      status: 429,
      shape: "flat",
      message: "slow down; please",
      retryAfter: 3,
      retryAfterMs: 1500,
      resetAfterBytes: 10,
      stallAfterChunks: 2,
      errorAfterChunks: 1,
      cutAfterChunks: 4,
      reset: true,
      stall: true,
      malformedJson: true,
      wrongShape: true,
      ping: true,
      requestId: true
    }
    const header = LocalServer.formatFault(fault)
    assert.deepStrictEqual(LocalServer.parseFault(header), Either.right(fault))
    assert.deepStrictEqual(
      LocalServer.parseFault(" Status=503 ; RETRY-AFTER=Wed, 21 Oct 2015 07:28:00 GMT ;"),
      Either.right({ status: 503, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT" })
    )
    assert.isTrue(Either.isLeft(LocalServer.parseFault("ping=yes")))
    assert.isTrue(Either.isLeft(LocalServer.parseFault("message=%E0%A4%A")))
  })
})
