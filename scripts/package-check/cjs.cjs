// The CommonJS consumer: require() of both packages and a deep entry, an in-process local server and a client over
// the Node (undici) transport.
const assert = require("node:assert/strict")
const { ChatStream, Serverless } = require("@tensormesh-effect/core")
const { NodeTensormesh } = require("@tensormesh-effect/node")
const LocalServer = require("@tensormesh-effect/node/LocalServer")
const { Effect, Redacted } = require("effect")

const program = Effect.gen(function*() {
  const server = yield* LocalServer.LocalServer
  const tm = yield* Serverless
  const completion = yield* tm.chat.completions.create({
    model: "tensormesh/echo",
    messages: [{ role: "user", content: "hi from cjs" }]
  })
  const final = yield* ChatStream.accumulate(tm.chat.completions.stream({
    model: "tensormesh/echo",
    messages: [{ role: "user", content: "stream from cjs" }]
  }))
  const viaNode = yield* Effect.flatMap(Serverless, (other) => other.models.list()).pipe(
    Effect.provide(NodeTensormesh.serverless({ baseUrl: server.baseUrl, apiKey: Redacted.make("sk-cjs") }))
  )
  return {
    content: completion.choices[0].message.content,
    streamed: final.choices[0].message.content,
    models: viaNode.data.length,
    requests: yield* server.requests
  }
})

Effect.runPromise(program.pipe(Effect.provide(LocalServer.serverlessLayer()))).then((result) => {
  assert.equal(result.content, "You said: hi from cjs")
  assert.equal(result.streamed, "You said: stream from cjs")
  assert.ok(result.models > 0)
  assert.deepEqual(result.requests.map((r) => r.path), ["/v1/chat/completions", "/v1/chat/completions", "/v1/models"])
  assert.throws(() => require("@tensormesh-effect/core/internal/client"), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" })
  const loaded = Object.keys(require.cache).filter((file) => file.includes("@tensormesh-effect"))
  assert.ok(loaded.length > 0 && loaded.every((file) => file.includes("/build/cjs/")), "only the CommonJS build loads")
  console.log("cjs ok")
}, (error) => {
  console.error(error)
  process.exitCode = 1
})
