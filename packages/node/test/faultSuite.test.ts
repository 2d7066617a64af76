// The fault table, asserted: for every fault, the outcome users must see, the attempts made, the time waited, and
// that the call finishes. Runs over real loopback HTTP against the local server's fault injection.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { rows, runRow } from "./support/faultTable.js"

describe("fault table", () => {
  for (const row of rows()) {
    it.live(row.name, () =>
      Effect.gen(function*() {
        const observed = yield* runRow(row)
        assert.strictEqual(observed.outcome, row.expect.outcome)
        assert.strictEqual(observed.attempts, row.expect.attempts, "attempts")
        assert.isAtMost(observed.millis, row.expect.maxMillis, "finished in time")
        if (row.expect.minMillis !== undefined) assert.isAtLeast(observed.millis, row.expect.minMillis, "waited")
        if (row.expect.delivered === "some") assert.isAbove(observed.delivered, 0, "deltas delivered first")
        assert.isTrue(observed.renders, "the error renders")
        assert.isFalse(observed.leaked, "the key appears nowhere")
        if (row.expect.maxMessageLength !== undefined) {
          assert.isAtMost(observed.messageLength, row.expect.maxMessageLength, "message length")
        }
        if (row.expect.outcome !== "ok") assert.isDefined(observed.retryable)
      }), 20_000)
  }
})
