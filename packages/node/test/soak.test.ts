// The soak's short form: bounded rounds of requests and concurrent streams with random interruptions; afterwards
// nothing is left open and nothing grows. `pnpm --silent run soak` runs the long form.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { soak } from "./support/soak.js"

describe("soak (short form)", () => {
  it.live(
    "rounds of requests and streams leave no socket, handle, fiber or rejection behind",
    () =>
      Effect.gen(function*() {
        const report = yield* soak({
          rounds: 4,
          requestsPerRound: 400,
          streamsPerRound: 100,
          concurrency: 32,
          interruptShare: 0.3,
          maxDuration: "60 seconds"
        })
        assert.strictEqual(report.rounds.length, 4)
        assert.strictEqual(report.unhandledRejections, 0)
        for (const round of report.rounds) {
          assert.strictEqual(round.failedRequests, 0, `round ${round.round}: requests failed`)
          assert.strictEqual(round.failedStreams, 0, `round ${round.round}: streams failed`)
          assert.strictEqual(round.completedStreams + round.interruptedStreams, round.streams)
          assert.isAbove(round.interruptedStreams, 0)
          assert.strictEqual(round.liveFibers, 0, `round ${round.round}: fibers still running`)
          // every connection of the round's pool is closed with its layer
          assert.strictEqual(round.sockets, report.baseline.sockets, `round ${round.round}: sockets left open`)
          assert.isAtMost(round.handles, report.baseline.handles, `round ${round.round}: handles left open`)
        }
        // heap: the last round may not hold much more than the first (noise allowance: 25% + 16 MiB)
        const first = report.rounds[0].heapUsedMiB
        const last = report.rounds[report.rounds.length - 1].heapUsedMiB
        assert.isAtMost(last, first * 1.25 + 16, `heap grew from ${first} MiB to ${last} MiB`)
      }),
    120_000
  )
})
