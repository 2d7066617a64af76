// A soak on loopback, bounded in count and time: rounds of many requests and concurrent streams against the local
// server, a share of the streams interrupted at random points. It reports what a leak would show: sockets and
// handles left open, heap growth across rounds, unhandled rejections, fibers still running.
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { ChatStream, Serverless, ServerlessLayer } from "@tensormesh-effect/core"
import { Duration, Effect, Fiber, Layer, Random, Redacted, Stream, Supervisor } from "effect"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import * as LocalServer from "../../src/LocalServer.js"

export interface SoakOptions {
  readonly rounds: number
  readonly requestsPerRound: number
  readonly streamsPerRound: number
  /** Concurrency of the plain requests (streams all run at once). */
  readonly concurrency: number
  /** Share of the streams interrupted early, 0 to 1. */
  readonly interruptShare: number
  /** Stop starting new rounds after this long. */
  readonly maxDuration: Duration.DurationInput
}

export interface RoundReport {
  readonly round: number
  readonly requests: number
  readonly failedRequests: number
  readonly streams: number
  readonly completedStreams: number
  readonly interruptedStreams: number
  readonly failedStreams: number
  readonly millis: number
  readonly heapUsedMiB: number
  readonly sockets: number
  readonly handles: number
  readonly liveFibers: number
}

export interface SoakReport {
  readonly baseline: { readonly heapUsedMiB: number; readonly sockets: number; readonly handles: number }
  readonly rounds: ReadonlyArray<RoundReport>
  readonly unhandledRejections: number
}

v8.setFlagsFromString("--expose_gc")
const gc: () => void = vm.runInNewContext("gc")

const settle = Effect.gen(function*() {
  for (let i = 0; i < 3; i++) {
    yield* Effect.sleep("50 millis")
    gc()
  }
})

const resources = () => {
  const info = process.getActiveResourcesInfo()
  return {
    sockets: info.filter((r) => r === "TCPSocketWrap").length,
    handles: info.filter((r) => r !== "Timeout" && r !== "Immediate").length
  }
}

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024 * 10) / 10

const KEY = Redacted.make("ak-soak")

/** One round: its own client layer (and so its own connection pool), released at the end of the round. */
const round = (index: number, baseUrl: string, options: SoakOptions) =>
  Effect.gen(function*() {
    const supervisor = yield* Supervisor.track
    const start = Date.now()
    const counts = { failedRequests: 0, completed: 0, interrupted: 0, failedStreams: 0 }
    const work = Effect.gen(function*() {
      const tm = yield* Serverless
      const request = (i: number) => {
        const call = i % 3 === 0
          ? Effect.asVoid(
            tm.chat.completions.create({ model: "tensormesh/echo", messages: [{ role: "user", content: `hi ${i}` }] })
          )
          : i % 3 === 1
          ? Effect.asVoid(tm.models.list())
          : Effect.asVoid(tm.tokenize.create({ model: "tensormesh/echo", prompt: `tokens ${i}` }))
        return Effect.catchAll(call, () => Effect.sync(() => void counts.failedRequests++))
      }
      const stream = (i: number) =>
        Effect.gen(function*() {
          const interrupt = (yield* Random.next) < options.interruptShare
          const deltas = tm.chat.completions.stream({
            model: "tensormesh/echo",
            messages: [{ role: "user", content: `Stream number ${i}, please, with some words.` }]
          }).pipe(ChatStream.textDeltas)
          if (!interrupt) {
            return yield* Stream.runDrain(deltas).pipe(
              Effect.matchEffect({
                onFailure: () => Effect.sync(() => void counts.failedStreams++),
                onSuccess: () => Effect.sync(() => void counts.completed++)
              })
            )
          }
          // Half stop after a few deltas, half are interrupted from outside after a random delay.
          if (i % 2 === 0) {
            const k = yield* Random.nextIntBetween(1, 6)
            yield* Stream.runDrain(Stream.take(deltas, k)).pipe(Effect.ignore)
          } else {
            const fiber = yield* Effect.fork(Stream.runDrain(deltas))
            yield* Effect.sleep(Duration.millis(yield* Random.nextIntBetween(1, 40)))
            yield* Fiber.interrupt(fiber)
          }
          counts.interrupted++
        })
      yield* Effect.all([
        Effect.forEach(Array.from({ length: options.requestsPerRound }, (_, i) => i), request, {
          concurrency: options.concurrency,
          discard: true
        }),
        Effect.forEach(Array.from({ length: options.streamsPerRound }, (_, i) => i), stream, {
          concurrency: "unbounded",
          discard: true
        })
      ], { concurrency: 2, discard: true })
    })
    yield* work.pipe(
      Effect.provide(
        ServerlessLayer({ baseUrl, apiKey: KEY, maxRetries: 0 }).pipe(Layer.provide(NodeHttpClient.layerUndici))
      ),
      Effect.supervised(supervisor),
      Effect.orDie
    )
    const millis = Date.now() - start
    yield* settle
    const live = (yield* supervisor.value).filter((fiber) => fiber.unsafePoll() === null).length
    const { handles, sockets } = resources()
    return {
      round: index,
      requests: options.requestsPerRound,
      failedRequests: counts.failedRequests,
      streams: options.streamsPerRound,
      completedStreams: counts.completed,
      interruptedStreams: counts.interrupted,
      failedStreams: counts.failedStreams,
      millis,
      heapUsedMiB: mib(process.memoryUsage().heapUsed),
      sockets,
      handles,
      liveFibers: live
    } satisfies RoundReport
  })

/** Runs the soak against an in-process local server (with a small per-token delay, so streams are in flight). */
export const soak = (options: SoakOptions): Effect.Effect<SoakReport> =>
  Effect.scoped(Effect.gen(function*() {
    let unhandledRejections = 0
    const onRejection = () => void unhandledRejections++
    process.on("unhandledRejection", onRejection)
    yield* Effect.addFinalizer(() => Effect.sync(() => process.off("unhandledRejection", onRejection)))
    const server = yield* Effect.orDie(LocalServer.make({ tokenDelay: "2 millis" }))
    yield* settle
    const base = resources()
    const baseline = { heapUsedMiB: mib(process.memoryUsage().heapUsed), ...base }
    const rounds: Array<RoundReport> = []
    const deadline = Date.now() + Duration.toMillis(options.maxDuration)
    for (let i = 1; i <= options.rounds && Date.now() < deadline; i++) {
      rounds.push(yield* round(i, server.baseUrl, options))
    }
    return { baseline, rounds, unhandledRejections }
  }))
