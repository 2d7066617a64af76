// The cost of `limits` per call: the median latency of a chat completion against the local server (in this
// process, undici transport) with no limits, with limits on the memory store, and with limits on Redis; the
// overhead is each median minus the one without limits. Rounds alternate the three clients so that drift in the
// machine's load falls on all of them alike.
//   pnpm --filter @tensormesh-effect/node --silent run limits-bench [--redis redis://127.0.0.1:6390] [--calls 2000]
import { LimitStore, Serverless } from "@tensormesh-effect/core"
import { Context, Effect, Layer, Redacted } from "effect"
import * as LocalServer from "../src/LocalServer.js"
import * as NodeTensormesh from "../src/NodeTensormesh.js"
import * as RedisLimitStore from "../src/RedisLimitStore.js"

const arg = (name: string, fallback: string) => {
  const index = process.argv.indexOf(name)
  return index >= 0 && process.argv[index + 1] !== undefined ? process.argv[index + 1] : fallback
}
const redisUrl = arg("--redis", process.env.TENSORMESH_TEST_REDIS_URL ?? "redis://127.0.0.1:6390")
const calls = Number(arg("--calls", "2000"))
const rounds = 10

// limits that are never reached: what is measured is the bookkeeping, not waiting
const limits = {
  requests: { limit: 10_000, window: "1 second" },
  tokens: { limit: 10_000_000, window: "1 minute" },
  concurrency: 1_000
} as const

const request = { model: "tensormesh/echo", messages: [{ role: "user" as const, content: "Say hello." }] }

const median = (values: Array<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const program = Effect.gen(function*() {
  const server = yield* LocalServer.make()
  const surface = (withLimits: boolean) =>
    NodeTensormesh.serverless({
      baseUrl: server.baseUrl,
      apiKey: Redacted.make("bench-key"),
      ...(withLimits ? { limits } : {})
    })
  const clients = {
    none: surface(false),
    memory: surface(true).pipe(Layer.provide(LimitStore.layerMemory)),
    redis: surface(true).pipe(
      Layer.provide(RedisLimitStore.layer({ url: redisUrl, prefix: `tensormesh:bench:${process.pid}:` }))
    )
  }
  const samples: Record<keyof typeof clients, Array<number>> = { none: [], memory: [], redis: [] }
  const services = {
    none: yield* Effect.map(Layer.build(clients.none), Context.get(Serverless)),
    memory: yield* Effect.map(Layer.build(clients.memory), Context.get(Serverless)),
    redis: yield* Effect.map(Layer.build(clients.redis), Context.get(Serverless))
  }
  for (let round = 0; round < rounds; round++) {
    for (const name of ["none", "memory", "redis"] as const) {
      const tm = services[name]
      for (let i = 0; i < calls / rounds; i++) {
        const start = performance.now()
        yield* tm.chat.completions.create(request)
        if (round > 0) samples[name].push(performance.now() - start) // round 0 warms up
      }
    }
  }
  const base = median(samples.none)
  console.log(`limits overhead per call (${samples.none.length} sequential chat completions each, local server):`)
  for (const name of ["none", "memory", "redis"] as const) {
    const m = median(samples[name])
    console.log(
      `  ${name.padEnd(6)} median ${(m * 1000).toFixed(0).padStart(6)} µs` +
        (name === "none" ? "" : `   overhead ${((m - base) * 1000).toFixed(0).padStart(6)} µs`)
    )
  }
})

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exit(1)
})
