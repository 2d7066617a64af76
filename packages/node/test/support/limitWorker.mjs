// One "replica" of the fleet tests (limitsFleet.test.ts): a process of its own with a client on the Node layer, its
// limits on one shared RedisLimitStore, calling the local server. It runs from the build output (pnpm test builds
// first). Its task comes as JSON in argv[2]; it reports JSON lines on stdout and exits when done.
import { Serverless } from "@tensormesh-effect/core"
import { NodeTensormesh } from "@tensormesh-effect/node"
import * as RedisLimitStore from "@tensormesh-effect/node/RedisLimitStore"
import { Effect, Layer, Redacted, Stream } from "effect"
import * as Readline from "node:readline"

const task = JSON.parse(process.argv[2])
const report = (line) => process.stdout.write(`${JSON.stringify(line)}\n`)

const layer = NodeTensormesh.serverless({
  baseUrl: task.baseUrl,
  apiKey: Redacted.make("fleet-test-key"),
  limits: task.limits,
  maxRetries: task.maxRetries ?? 2,
  timeout: "60 seconds"
}).pipe(
  Layer.provide(RedisLimitStore.layer({
    url: task.redisUrl,
    prefix: task.prefix,
    leaseTtl: task.leaseTtl ?? "10 seconds",
    pollInterval: "10 millis"
  }))
)

const request = { model: "tensormesh/echo", messages: [{ role: "user", content: task.content ?? "one two three" }] }
const delay = (ms) => ({ headers: { "x-tensormesh-token-delay-ms": String(ms) } })

/** Waits for a line on stdin (the test's "go"). */
const nextLine = () =>
  Effect.async((resume) => {
    const lines = Readline.createInterface({ input: process.stdin })
    lines.once("line", (line) => {
      lines.close()
      resume(Effect.succeed(line))
    })
  })

const tagOf = (error) => `${error._tag}:${error.reason}`

const tasks = {
  // once told to, `count` streams at once; the limits decide how many reach the server together
  streams: (tm) =>
    Effect.gen(function*() {
      report({ type: "ready" })
      yield* nextLine()
      const results = yield* Effect.all(
        Array.from({ length: task.count }, () =>
          Effect.either(Stream.runDrain(tm.chat.completions.stream(request, delay(task.tokenDelay ?? 10))))),
        { concurrency: "unbounded" }
      )
      const failed = results.filter((r) => r._tag === "Left").map((r) => tagOf(r.left))
      report({ type: "done", ok: results.length - failed.length, failed })
    }),
  // once told to, `count` calls at once; the time each one completed
  requests: (tm) =>
    Effect.gen(function*() {
      report({ type: "ready" })
      yield* nextLine()
      const times = yield* Effect.all(
        Array.from({ length: task.count }, () =>
          Effect.map(Effect.either(tm.chat.completions.create(request)), (r) => r._tag === "Right" ? Date.now() : -1)),
        { concurrency: "unbounded" }
      )
      report({ type: "done", times })
    }),
  // the first replica gets a 429 with Retry-After: 2; the others call once told to
  pause: (tm) =>
    Effect.gen(function*() {
      if (task.role === "first") {
        const result = yield* Effect.either(tm.chat.completions.create(request, {
          headers: { "x-tensormesh-fault": "status=429; retry-after=2" },
          maxRetries: 0
        }))
        report({ type: "429", at: Date.now(), error: result._tag === "Left" ? tagOf(result.left) : undefined })
        return
      }
      report({ type: "ready" })
      yield* nextLine()
      const start = Date.now()
      yield* tm.chat.completions.create(request)
      report({ type: "done", start, at: Date.now() })
    }),
  // `count` streams that last (a chunk every 10 s), held until this process is killed
  hold: (tm) =>
    Effect.gen(function*() {
      let started = 0
      yield* Effect.all(
        Array.from({ length: task.count }, () =>
          tm.chat.completions.stream(request, delay(10_000)).pipe(
            Stream.tap(() =>
              Effect.sync(() => {
                if (++started === task.count) report({ type: "holding" })
              })
            ),
            Stream.runDrain
          )),
        { concurrency: "unbounded" }
      )
    }),
  // once told to, one stream, timed from then to its first chunk (how long it waited for a slot)
  slot: (tm) =>
    Effect.gen(function*() {
      report({ type: "ready" })
      yield* nextLine()
      const start = Date.now()
      yield* Stream.runHead(tm.chat.completions.stream(request, delay(10)))
      report({ type: "done", waited: Date.now() - start })
    })
}

// a first call warms the connection, the code paths and the store's connections (its own budget: no model)
const program = Effect.flatMap(Serverless, (tm) => Effect.zipRight(tm.health.get(), tasks[task.mode](tm))).pipe(
  Effect.provide(layer)
)

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    report({ type: "error", error: String(error) })
    process.exit(1)
  }
)
