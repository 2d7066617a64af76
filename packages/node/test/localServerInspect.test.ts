import { assert, describe, it } from "@effect/vitest"
import { Serverless } from "@tensormesh-effect/core"
import { Effect, Either, Fiber, Stream } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { parseArgs, startFailure } from "../src/internal/localServer/cli.js"
import * as LocalServer from "../src/LocalServer.js"
import { get, KEY, post, raw, request, USER_ID } from "./support/http.js"

const chat = { model: "tensormesh/echo", messages: [{ role: "user", content: "hi" }] }
const ORIGIN = "http://localhost:5173"

const preflight = (server: LocalServer.Service, path: string, headers: Record<string, string> = {}) =>
  request(`${server.root}${path}`, {
    method: "OPTIONS",
    headers: { origin: ORIGIN, "access-control-request-method": "POST", ...headers }
  })

/** Polls `self` every 20 ms until `done` holds (at most 3 s). */
const eventually = <A>(self: Effect.Effect<A>, done: (a: A) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 150; i++) {
      const a = yield* self
      if (done(a)) return a
      yield* Effect.sleep("20 millis")
    }
    return yield* self
  })

const lastRequest = (server: LocalServer.Service) => Effect.map(server.requests, (requests) => requests.at(-1)!)

describe("local server: CORS", () => {
  it.scopedLive("is off by default: OPTIONS is 405 and no reply carries CORS headers", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make()
      const res = yield* preflight(server, "/v1/chat/completions")
      assert.strictEqual(res.status, 405)
      assert.isNull(res.headers.get("access-control-allow-origin"))
      const ok = yield* post(server, "/v1/chat/completions", chat, { origin: ORIGIN })
      assert.strictEqual(ok.status, 200)
      assert.isNull(ok.headers.get("access-control-allow-origin"))
    }))

  it.scopedLive("cors: true answers preflights and puts the headers on every reply", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make({ cors: true, mode: "on-demand" })
      const pre = yield* preflight(server, "/v1/chat/completions", {
        "access-control-request-headers": "authorization, content-type, x-user-id"
      })
      assert.strictEqual(pre.status, 204)
      assert.strictEqual(pre.text, "")
      assert.strictEqual(pre.headers.get("access-control-allow-origin"), "*")
      assert.strictEqual(pre.headers.get("access-control-allow-headers"), "authorization, content-type, x-user-id")
      assert.include(pre.headers.get("access-control-allow-methods")!, "POST")
      assert.strictEqual(pre.headers.get("access-control-max-age"), "600")
      // A header list that is not a plain list of names is not echoed back
      const odd = yield* preflight(server, "/v1/models", { "access-control-request-headers": "a b\tc" })
      assert.strictEqual(odd.status, 204)
      assert.include(odd.headers.get("access-control-allow-headers")!, "authorization")
      assert.notInclude(odd.headers.get("access-control-allow-headers")!, "a b")

      const headers = { origin: ORIGIN, "x-user-id": USER_ID }
      const replies = [
        yield* post(server, "/v1/chat/completions", chat, headers),
        yield* post(server, "/v1/chat/completions", { ...chat, stream: true }, headers),
        yield* post(server, "/v1/chat/completions", chat, { origin: ORIGIN }), // no user id: 400
        yield* post(server, "/v1/chat/completions", chat, {
          ...headers,
          "x-tensormesh-fault": "status=429; retry-after=1"
        }),
        yield* get(server, "/nope", headers),
        yield* get(server, "/health", headers),
        yield* get(server, LocalServer.REQUESTS_PATH, headers)
      ]
      assert.deepStrictEqual(replies.map((r) => r.status), [200, 200, 400, 429, 404, 200, 200])
      for (const reply of replies) {
        assert.strictEqual(reply.headers.get("access-control-allow-origin"), "*")
        assert.include(reply.headers.get("access-control-expose-headers")!, "retry-after")
      }
    }))

  it.scopedLive("cors: { origins } allows only those origins", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make({ cors: { origins: [ORIGIN] } })
      const allowed = yield* preflight(server, "/v1/completions")
      assert.strictEqual(allowed.headers.get("access-control-allow-origin"), ORIGIN)
      assert.strictEqual(allowed.headers.get("vary"), "origin")
      const other = yield* preflight(server, "/v1/completions", { origin: "http://evil.test" })
      assert.isNull(other.headers.get("access-control-allow-origin"))
      const reply = yield* get(server, "/v1/models", { origin: "http://evil.test" })
      assert.strictEqual(reply.status, 200)
      assert.isNull(reply.headers.get("access-control-allow-origin"))
    }))
})

describe("local server: inspection", () => {
  it.scopedLive("logs method, path, redacted headers and the body, in process and over HTTP", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make({ mode: "on-demand" })
      const secret = "sk-very-secret"
      yield* post(server, "/v1/chat/completions", chat, { authorization: `Bearer ${secret}`, "x-user-id": USER_ID })
      yield* get(server, "/v1/models?x=1", { "x-user-id": USER_ID })
      yield* post(server, "/tokenize", "not json", { "x-user-id": USER_ID })
      const requests = yield* eventually(server.requests, (rs) => rs.every((r) => r.state !== "in-flight"))
      assert.deepStrictEqual(requests.map((r) => [r.id, r.method, r.path, r.status, r.state]), [
        [1, "POST", "/v1/chat/completions", 200, "completed"],
        [2, "GET", "/v1/models?x=1", 200, "completed"],
        [3, "POST", "/tokenize", 400, "completed"]
      ])
      const [first, second, third] = requests
      assert.deepStrictEqual(first!.body, chat)
      assert.strictEqual(first!.headers["authorization"], "<redacted>")
      assert.strictEqual(first!.headers["x-user-id"], "<redacted>")
      assert.strictEqual(first!.headers["content-type"], "application/json")
      assert.isFalse(first!.clientClosedEarly)
      assert.isUndefined(second!.body)
      assert.strictEqual(third!.body, "not json")

      const http = yield* get(server, LocalServer.REQUESTS_PATH)
      assert.strictEqual(http.status, 200)
      assert.notInclude(http.text, secret)
      assert.notInclude(http.text, USER_ID)
      assert.notInclude(http.text, KEY)
      const listed = http.json()
      assert.strictEqual(listed.inFlight, 0)
      assert.deepStrictEqual(listed.requests.map((r: any) => r.path), requests.map((r) => r.path))
      assert.deepStrictEqual(listed.requests[0].body, chat)
      // The inspection routes are not logged, the prefix is reserved, and DELETE empties the log
      assert.strictEqual((yield* server.requests).length, 3)
      assert.strictEqual((yield* get(server, "/_local/other")).status, 404)
      const cleared = yield* request(`${server.root}${LocalServer.REQUESTS_PATH}`, { method: "DELETE" })
      assert.strictEqual(cleared.status, 204)
      assert.deepStrictEqual(yield* server.requests, [])
      yield* get(server, "/health", { "x-user-id": USER_ID })
      assert.deepStrictEqual((yield* eventually(server.requests, (rs) => rs.length === 1)).map((r) => r.id), [4])
    }))

  it.scopedLive("counts requests in flight and tells a client that closed early from a completed reply", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make()
      const stalled = yield* Effect.fork(
        raw(server, "/v1/chat/completions", { body: chat, headers: { "x-tensormesh-fault": "stall" }, timeoutMs: 5000 })
      )
      assert.strictEqual((yield* eventually(server.inFlight, (n) => n.current === 1)).current, 1)
      assert.strictEqual((yield* lastRequest(server)).state, "in-flight")
      assert.strictEqual((yield* get(server, LocalServer.REQUESTS_PATH)).json().inFlight, 1)
      yield* Fiber.interrupt(stalled) // the client gives up: its connection is destroyed
      const closed = yield* eventually(lastRequest(server), (r) => r.state !== "in-flight")
      assert.strictEqual(closed.state, "client-closed")
      assert.isTrue(closed.clientClosedEarly)
      assert.isUndefined(closed.status)
      assert.strictEqual((yield* server.inFlight).current, 0)

      yield* raw(server, "/v1/chat/completions", { body: chat, headers: { "x-tensormesh-fault": "reset" } })
      const reset = yield* eventually(lastRequest(server), (r) => r.state !== "in-flight")
      assert.strictEqual(reset.state, "reset")
      assert.isFalse(reset.clientClosedEarly)
    }))

  it.scopedLive("an SDK stream cut short shows as client-closed: the disconnect reached the server", () =>
    Effect.gen(function*() {
      const { server, chunks } = yield* Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const tm = yield* Serverless
        const chunks = yield* tm.chat.completions.stream({
          model: "tensormesh/echo",
          messages: [{ role: "user", content: "one two three four five six seven eight nine ten" }]
        }).pipe(Stream.take(2), Stream.runCollect)
        const closed = yield* eventually(lastRequest(server), (r) => r.state !== "in-flight")
        return { server: closed, chunks }
      }).pipe(Effect.provide(LocalServer.serverlessLayer({ tokenDelay: "30 millis" })))
      assert.strictEqual(chunks.length, 2)
      assert.strictEqual(server.state, "client-closed")
      assert.isTrue(server.clientClosedEarly)
      assert.strictEqual(server.status, 200)
      assert.strictEqual((server.body as any).stream, true)
    }))

  it.scopedLive("keeps the last requestLog requests, and bodies up to 65,536 characters", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make({ requestLog: 3 })
      for (let i = 0; i < 5; i++) yield* get(server, `/health?i=${i}`)
      const big = "x".repeat(70_000)
      yield* post(server, "/tokenize", { model: "tensormesh/echo", prompt: big })
      const requests = yield* eventually(server.requests, (rs) => rs.at(-1)?.state === "completed")
      assert.deepStrictEqual(requests.map((r) => r.id), [4, 5, 6])
      const last = requests[2]!
      assert.isTrue(last.bodyTruncated)
      assert.strictEqual((last.body as string).length, 65_536)
      const none = yield* LocalServer.make({ requestLog: 0 })
      yield* get(none, "/health")
      assert.deepStrictEqual(yield* none.requests, [])
    }))
})

describe("tensormesh-local: --cors, --fault and a taken port", () => {
  it("parses --cors, --cors-origin, --fault and --request-log", () => {
    const parsed = parseArgs([
      "--cors",
      "--fault",
      "route=/v1/chat/completions; times=2; status=503; retry-after=1",
      "--fault=route=/v1/models,/health;skip=1;reset",
      "--request-log",
      "10"
    ])
    assert.deepStrictEqual(
      parsed,
      Either.right({
        _tag: "Serve",
        options: {
          port: 8000,
          host: "127.0.0.1",
          mode: "serverless",
          tokenDelay: 0,
          responsesUsage: "chat",
          cors: true,
          faults: [
            { route: "/v1/chat/completions", times: 2, fault: { status: 503, retryAfter: 1 } },
            { route: ["/v1/models", "/health"], skip: 1, fault: { reset: true } }
          ],
          requestLog: 10
        }
      })
    )
    const origins = parseArgs(["--cors-origin", ORIGIN, "--cors-origin=http://b.test"])
    assert.deepStrictEqual(
      Either.map(origins, (c) => c._tag === "Serve" ? c.options.cors : undefined),
      Either.right({
        origins: [ORIGIN, "http://b.test"]
      })
    )
    for (const bad of ["route=/v2/chat; status=503", "times=x; status=503", "route=*", "bogus", "status=99"]) {
      assert.isTrue(Either.isLeft(parseArgs(["--fault", bad])), bad)
      assert.isTrue(Either.isLeft(LocalServer.parseFaultRule(bad)), bad)
    }
    assert.deepStrictEqual(
      LocalServer.parseFaultRule("route=*; stall-after-chunks=3; ping"),
      Either.right({ route: "*", fault: { stallAfterChunks: 3, ping: true } })
    )
  })

  it("names the problem when the port cannot be used", () => {
    const inUse = Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" })
    assert.strictEqual(
      startFailure(inUse, { port: 8000 }),
      "127.0.0.1:8000 is already in use: stop what listens there, or pick another --port (0 for a free one)"
    )
    assert.match(startFailure(Object.assign(new Error("x"), { code: "EACCES" }), { port: 80 }), /above 1023/)
    assert.match(startFailure(new Error("boom"), { host: "::1", port: 1 }), /^cannot listen on \[::1\]:1: boom$/)
  })

  const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
  const run = (args: ReadonlyArray<string>) =>
    Effect.acquireRelease(
      Effect.sync(() => spawn(process.execPath, ["--import", "tsx", bin, ...args], { stdio: "pipe" })),
      (child) => Effect.sync(() => child.kill("SIGTERM"))
    )
  const firstLine = (stream: NodeJS.ReadableStream) =>
    Effect.async<string>((resume) => {
      let text = ""
      stream.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8")
        if (text.includes("\n")) resume(Effect.succeed(text.split("\n")[0]!))
      })
      stream.on("end", () => resume(Effect.succeed(text)))
    })

  it.scopedLive(
    "the command serves with --cors and --fault, and exits 1 with a clear message on a taken port",
    () =>
      Effect.gen(function*() {
        const child = yield* run(["--port", "0", "--cors", "--fault", "route=/v1/models; times=1; status=503"])
        const baseUrl = yield* firstLine(child.stdout!)
        assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/)
        const first = yield* request(`${baseUrl}/models`, { headers: { origin: ORIGIN } })
        const second = yield* request(`${baseUrl}/models`)
        assert.deepStrictEqual([first.status, second.status], [503, 200])
        assert.strictEqual(first.headers.get("access-control-allow-origin"), "*")

        const port = new URL(baseUrl).port
        const taken = yield* run(["--port", port])
        const [message, code] = yield* Effect.all([
          firstLine(taken.stderr!),
          Effect.async<number | null>((resume) => void taken.on("exit", (code) => resume(Effect.succeed(code))))
        ], { concurrency: 2 })
        assert.strictEqual(
          message,
          `tensormesh-local: 127.0.0.1:${port} is already in use: stop what listens there, or pick another --port (0 for a free one)`
        )
        assert.strictEqual(code, 1)
      }),
    { timeout: 30_000 }
  )
})
