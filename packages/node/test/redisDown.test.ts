// Redis stopped mid-run: with onStoreFailure "fail" (the default) calls fail closed, typed, before anything is sent;
// with "local" they go on under the same limits counted in this process; and when Redis is back, it counts again.
// A redis-server of its own (on a free port), so that stopping it disturbs no other test.
import { assert, it } from "@effect/vitest"
import { Serverless, type UpstreamError } from "@tensormesh-effect/core"
import { Effect, Exit, Fiber, Layer, Redacted, Stream } from "effect"
import * as ChildProcess from "node:child_process"
import * as Net from "node:net"
import * as LocalServer from "../src/LocalServer.js"
import * as NodeTensormesh from "../src/NodeTensormesh.js"
import * as RedisLimitStore from "../src/RedisLimitStore.js"
import { describeRedis } from "./support/redis.js"

const freePort = Effect.async<number>((resume) => {
  const probe = Net.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const port = (probe.address() as Net.AddressInfo).port
    probe.close(() => resume(Effect.succeed(port)))
  })
})

const answers = (port: number) =>
  Effect.async<boolean>((resume) => {
    const socket = Net.connect({ host: "127.0.0.1", port })
    socket.once("connect", () => socket.write("PING\r\n"))
    socket.once("data", (data) => {
      socket.destroy()
      resume(Effect.succeed(data.toString().startsWith("+PONG")))
    })
    socket.once("error", () => resume(Effect.succeed(false)))
  })

/** A redis-server on `port`, stopped (SIGKILL) by the returned effect or when the scope closes. */
const redisServer = (port: number) =>
  Effect.gen(function*() {
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        ChildProcess.spawn("redis-server", [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--save",
          "",
          "--appendonly",
          "no"
        ], {
          stdio: "ignore"
        })
      ),
      (child) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
    )
    for (let i = 0; i < 100 && !(yield* answers(port)); i++) yield* Effect.sleep("20 millis")
    assert.isTrue(yield* answers(port), "redis-server did not start")
    return Effect.async<void>((resume) => {
      if (child.exitCode !== null) return resume(Effect.void)
      child.once("exit", () => resume(Effect.void))
      child.kill("SIGKILL")
    })
  })

const request = { model: "tensormesh/echo", messages: [{ role: "user" as const, content: "hi" }] }

const hasRedisServer = ChildProcess.spawnSync("redis-server", ["--version"]).status === 0

describeRedis("Redis stopped mid-run", () => {
  it("redis-server is installed (.ci/run installs it)", () => {
    assert.isTrue(hasRedisServer, "redis-server is not on PATH")
  })

  it.scopedLive(
    "fail closed by default, limits in this process with local, Redis again once it is back",
    () =>
      Effect.gen(function*() {
        if (!hasRedisServer) return
        const server = yield* LocalServer.make({ tokenDelay: "20 millis" })
        const port = yield* freePort
        const stop = yield* redisServer(port)
        const url = `redis://127.0.0.1:${port}`
        const surface = (onStoreFailure: "fail" | "local") =>
          NodeTensormesh.serverless({
            baseUrl: server.baseUrl,
            apiKey: Redacted.make("redis-down-key"),
            maxRetries: 0,
            limits: { concurrency: 1, onExceeded: "fail" }
          }).pipe(Layer.provide(RedisLimitStore.layer({ url, onStoreFailure, commandTimeout: "300 millis" })))
        const both = Layer.mergeAll(
          Layer.effect(Closed, Serverless).pipe(Layer.provide(surface("fail"))),
          Layer.effect(Open, Serverless).pipe(Layer.provide(surface("local")))
        )
        yield* Effect.gen(function*() {
          const closed = yield* Closed
          const open = yield* Open
          yield* closed.chat.completions.create(request)
          yield* open.chat.completions.create(request)

          yield* stop
          const failed = yield* Effect.exit(closed.chat.completions.create(request))
          assert.isTrue(Exit.isFailure(failed))
          const error = Exit.isFailure(failed) ? (failed.cause as { error?: UpstreamError }).error : undefined
          assert.strictEqual(error?._tag, "UpstreamError")
          assert.strictEqual(error?.reason, "LimitStoreUnavailable")
          assert.strictEqual(error?.status, undefined) // nothing was sent
          assert.notInclude(error!.message, "redis-down-key")

          // local: the call goes through, under the same limit (one at a time, counted here)
          yield* open.chat.completions.create(request)
          const holding = yield* Effect.fork(Stream.runDrain(open.chat.completions.stream(request)))
          yield* Effect.sleep("100 millis")
          const busy = yield* Effect.exit(open.chat.completions.create(request))
          assert.isTrue(Exit.isFailure(busy))
          const limited = Exit.isFailure(busy) ? (busy.cause as { error?: UpstreamError }).error : undefined
          assert.strictEqual(limited?.reason, "RateLimited")
          yield* Fiber.join(holding)

          // Redis back on the same port: the fail-closed client works again
          yield* redisServer(port)
          let back = false
          for (let i = 0; i < 50 && !back; i++) {
            back = Exit.isSuccess(yield* Effect.exit(closed.chat.completions.create(request)))
            if (!back) yield* Effect.sleep("100 millis")
          }
          assert.isTrue(back, "the store did not recover once Redis was back")
        }).pipe(Effect.provide(both))
      }),
    30_000
  )
})

class Closed extends Effect.Tag("test/Closed")<Closed, Serverless["Type"]>() {}
class Open extends Effect.Tag("test/Open")<Open, Serverless["Type"]>() {}
