// The ESM consumer: starts the installed `tensormesh-local` command with --cors and talks to it over fetch with the
// core package, as a browser or edge app would.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { ChatStream, Serverless, ServerlessLayer } from "@tensormesh-effect/core"
import { NodeTensormesh } from "@tensormesh-effect/node"
import { Effect, Layer, Redacted, Stream } from "effect"
import { spawn } from "node:child_process"
import { once } from "node:events"
import assert from "node:assert/strict"

const child = spawn("node_modules/.bin/tensormesh-local", ["--port", "0", "--cors"], { stdio: ["ignore", "pipe", "inherit"] })
try {
  const [chunk] = await once(child.stdout, "data")
  const baseUrl = chunk.toString("utf8").split("\n")[0]
  assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/)
  const root = baseUrl.slice(0, -3)

  const program = Effect.gen(function*() {
    const tm = yield* Serverless
    const completion = yield* tm.chat.completions.create({
      model: "tensormesh/echo",
      messages: [{ role: "user", content: "hi from esm" }]
    })
    const streamed = yield* tm.chat.completions.stream({
      model: "tensormesh/echo",
      messages: [{ role: "user", content: "stream from esm" }]
    }).pipe(ChatStream.textDeltas, Stream.mkString)
    return [completion.choices[0].message.content, streamed]
  })
  const layer = ServerlessLayer({ baseUrl, apiKey: Redacted.make("sk-esm") }).pipe(Layer.provide(FetchHttpClient.layer))
  const [content, streamed] = await Effect.runPromise(program.pipe(Effect.provide(layer)))
  assert.equal(content, "You said: hi from esm")
  assert.equal(streamed, "You said: stream from esm")

  const preflight = await fetch(`${baseUrl}/chat/completions`, {
    method: "OPTIONS",
    headers: { origin: "http://localhost:5173", "access-control-request-method": "POST" }
  })
  assert.equal(preflight.status, 204)
  assert.equal(preflight.headers.get("access-control-allow-origin"), "*")

  const log = await (await fetch(`${root}/_local/requests`)).json()
  assert.deepEqual(log.requests.map((r) => r.path), ["/v1/chat/completions", "/v1/chat/completions", "/v1/chat/completions"])
  assert.equal(log.requests[0].headers.authorization, "<redacted>")
  assert.equal(log.inFlight, 0)

  assert.equal(typeof NodeTensormesh.serverless, "function")
  await assert.rejects(import("@tensormesh-effect/core/internal/client"), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" })
  console.log("esm ok")
} finally {
  child.kill("SIGTERM")
}
