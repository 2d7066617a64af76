// A fleet: several OS processes (test/support/limitWorker.mjs, on the build output), each a client on the Node
// layer with its limits on one RedisLimitStore, against one local server in this process. Concurrency is checked
// at the server (LocalServer.inFlight), request windows by when calls completed, the shared pause by when the other
// replicas' calls went out, and crashed replicas by how long their slots stayed taken.
import { assert, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Effect, Layer } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Path from "node:path"
import * as Url from "node:url"
import * as LocalServer from "../src/LocalServer.js"
import { describeRedis, freshPrefix, REDIS_URL } from "./support/redis.js"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const WORKER = Path.join(here, "support", "limitWorker.mjs")
const BUILT = Path.join(here, "..", "build", "esm", "RedisLimitStore.js")

interface Line {
  readonly type: string
  readonly [field: string]: any
}

interface Worker {
  readonly process: ChildProcess.ChildProcess
  /** The next line of `type` (lines already read count). */
  readonly next: (type: string) => Effect.Effect<Line>
  readonly send: (line: string) => Effect.Effect<void>
  readonly exited: Effect.Effect<number | null>
}

/** Starts a worker; it is killed when the scope closes, if still running. */
const worker = (task: Record<string, unknown>): Effect.Effect<Worker, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = ChildProcess.spawn(process.execPath, [WORKER, JSON.stringify(task)], {
        stdio: ["pipe", "pipe", "pipe"]
      })
      const lines: Array<Line> = []
      const waiters: Array<() => void> = []
      let buffer = ""
      let stderr = ""
      child.stdout!.setEncoding("utf8")
      child.stdout!.on("data", (text: string) => {
        buffer += text
        let newline: number
        while ((newline = buffer.indexOf("\n")) >= 0) {
          lines.push(JSON.parse(buffer.slice(0, newline)))
          buffer = buffer.slice(newline + 1)
        }
        waiters.splice(0).forEach((wake) => wake())
      })
      child.stderr!.on("data", (text: Buffer) => {
        stderr = (stderr + text.toString()).slice(-4000)
      })
      let exitCode: number | null | undefined
      child.on("exit", (code) => {
        exitCode = code
        waiters.splice(0).forEach((wake) => wake())
      })
      const next = (type: string): Effect.Effect<Line> =>
        Effect.async<Line>((resume) => {
          const check = () => {
            const index = lines.findIndex((line) => line.type === type || line.type === "error")
            if (index >= 0) {
              const [line] = lines.splice(index, 1)
              if (line.type === "error") return resume(Effect.dieMessage(`worker failed: ${line.error}\n${stderr}`))
              return resume(Effect.succeed(line))
            }
            if (exitCode !== undefined) {
              return resume(Effect.dieMessage(`worker exited (${exitCode}) before "${type}"\n${stderr}`))
            }
            waiters.push(check)
          }
          check()
        })
      return {
        process: child,
        next,
        send: (line: string) => Effect.sync(() => child.stdin!.write(`${line}\n`)),
        exited: Effect.async<number | null>((resume) => {
          if (exitCode !== undefined) return resume(Effect.succeed(exitCode))
          child.once("exit", (code) => resume(Effect.succeed(code)))
        })
      }
    }),
    (w) => Effect.sync(() => w.process.exitCode === null && w.process.kill("SIGKILL"))
  )

const server = (options?: LocalServer.Options) =>
  Effect.flatMap(
    Layer.build(LocalServer.layer(options)),
    (ctx) => Effect.succeed(ctx.unsafeMap.get(LocalServer.LocalServer.key) as LocalServer.Service)
  )

/**
 * A loopback HTTP proxy in front of `target` that records when each POST arrived (when the SDK sent it, give or take
 * loopback), closed with the scope.
 */
const arrivalsProxy = (target: LocalServer.Service) =>
  Effect.acquireRelease(
    Effect.async<{ readonly baseUrl: string; readonly arrivals: Array<number>; readonly server: Http.Server }>(
      (resume) => {
        const arrivals: Array<number> = []
        const proxy = Http.createServer((request, response) => {
          if (request.method === "POST") arrivals.push(Date.now())
          const upstream = Http.request(
            {
              host: "127.0.0.1",
              port: target.port,
              path: request.url,
              method: request.method,
              headers: request.headers
            },
            (answer) => {
              response.writeHead(answer.statusCode ?? 502, answer.headers)
              answer.pipe(response)
            }
          )
          upstream.on("error", () => response.destroy())
          request.pipe(upstream)
        })
        proxy.listen(0, "127.0.0.1", () => {
          const port = (proxy.address() as { port: number }).port
          resume(Effect.succeed({ baseUrl: `http://127.0.0.1:${port}/v1`, arrivals, server: proxy }))
        })
      }
    ),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const common = (server: LocalServer.Service) => ({
  baseUrl: server.baseUrl,
  redisUrl: REDIS_URL,
  prefix: freshPrefix()
})

describeRedis("limits across processes on one RedisLimitStore", () => {
  it("the workers run from the build output", () => {
    assert.isTrue(Fs.existsSync(BUILT), `no build at ${BUILT}: run pnpm --silent run build (pnpm test does)`)
  })

  it.scopedLive(
    "concurrency N, 50 streams per process, 3 processes: the server never sees more than N",
    () =>
      Effect.gen(function*() {
        const local = yield* server()
        const base = common(local)
        const N = 5
        const task = { ...base, mode: "streams", count: 50, tokenDelay: 5, limits: { concurrency: N } }
        const workers = yield* Effect.all([worker(task), worker(task), worker(task)])
        yield* Effect.all(workers.map((w) => w.next("ready"))) // warmed up (the warm-up calls have no model)
        yield* Effect.all(workers.map((w) => w.send("go")))
        const done = yield* Effect.all(workers.map((w) => w.next("done")), { concurrency: "unbounded" })
        const inFlight = yield* local.inFlight
        console.log(`[fleet] concurrency ${N}: server peak ${inFlight.peak} over 150 streams from 3 processes`)
        for (const d of done) {
          assert.strictEqual(d.ok, 50, JSON.stringify(d.failed))
        }
        assert.isAtMost(inFlight.peak, N)
        assert.isAtLeast(inFlight.peak, N - 1) // the limit, not something else, was what held them back
      }),
    60_000
  )

  it.scopedLive(
    "requests per window hold across processes (within the stated tolerance)",
    () =>
      Effect.gen(function*() {
        const local = yield* server()
        const proxy = yield* arrivalsProxy(local)
        const base = { ...common(local), baseUrl: proxy.baseUrl }
        const limit = 5
        const window = 500
        const calls = 30
        const task = {
          ...base,
          mode: "requests",
          count: 10,
          limits: { requests: { limit, window: `${window} millis` } }
        }
        const workers = yield* Effect.all([worker(task), worker(task), worker(task)])
        yield* Effect.all(workers.map((w) => w.next("ready")))
        proxy.arrivals.length = 0 // the warm-up calls
        const go = Date.now()
        yield* Effect.all(workers.map((w) => w.send("go")))
        const done = yield* Effect.all(workers.map((w) => w.next("done")), { concurrency: "unbounded" })
        assert.isFalse(done.some((d) => (d.times as Array<number>).includes(-1)))
        const times = [...proxy.arrivals].sort((a, b) => a - b)
        assert.strictEqual(times.length, calls)
        // the most requests that reached the server in any span of `window - tolerance`
        const tolerance = 150
        let most = 0
        for (let i = 0; i < times.length; i++) {
          let j = i
          while (j < times.length && times[j] - times[i] < window - tolerance) j++
          most = Math.max(most, j - i)
        }
        const last = times[times.length - 1] - go
        console.log(
          `[fleet] ${limit} requests / ${window} ms, ${calls} calls from 3 processes: at most ${most} reached the ` +
            `server in any ${window - tolerance} ms; the last ${last} ms after the start (no sooner than ${
              (calls / limit - 1) * window
            } ms allowed); arrivals (ms): ${times.map((t) => t - go).join(" ")}`
        )
        assert.isAtMost(most, limit)
        assert.isAtLeast(last, (calls / limit - 1) * window - 20)
      }),
    60_000
  )

  it.scopedLive("one 429 with Retry-After: 2 pauses the other processes too", () =>
    Effect.gen(function*() {
      const local = yield* server()
      const base = common(local)
      const limits = { concurrency: 10 }
      const others = yield* Effect.all([
        worker({ ...base, mode: "pause", role: "other", limits }),
        worker({ ...base, mode: "pause", role: "other", limits })
      ])
      yield* Effect.all(others.map((w) => w.next("ready")))
      const first = yield* worker({ ...base, mode: "pause", role: "first", limits })
      const limited = yield* first.next("429")
      assert.strictEqual(limited.error, "UpstreamError:RateLimited")
      yield* Effect.all(others.map((w) => w.send("go")))
      const done = yield* Effect.all(others.map((w) => w.next("done")))
      for (const d of done) {
        const after = d.at - limited.at
        console.log(`[fleet] after the 429: another process's call completed ${after} ms later`)
        assert.isAtLeast(after, 1_900)
        assert.isAtMost(after, 4_000)
      }
    }), 60_000)

  it.scopedLive("a process killed mid-stream frees its slots once its leases expire", () =>
    Effect.gen(function*() {
      const local = yield* server()
      const base = common(local)
      const leaseTtl = 1_500
      const limits = { concurrency: 3 }
      const holder = yield* worker({ ...base, mode: "hold", count: 3, limits, leaseTtl: `${leaseTtl} millis` })
      const next = yield* worker({ ...base, mode: "slot", limits, leaseTtl: `${leaseTtl} millis` })
      yield* Effect.all([holder.next("holding"), next.next("ready")])
      assert.strictEqual((yield* local.inFlight).current, 3)
      holder.process.kill("SIGKILL")
      yield* holder.exited
      yield* next.send("go")
      const done = yield* next.next("done")
      console.log(`[fleet] lease TTL ${leaseTtl} ms: after the kill, a slot was free in ${done.waited} ms`)
      // the slots stayed taken until their leases expired (refreshed every TTL / 3 while the holder lived)
      assert.isAtLeast(done.waited, leaseTtl * 2 / 3 - 100)
      assert.isAtMost(done.waited, leaseTtl + 500)
    }), 60_000)
})
