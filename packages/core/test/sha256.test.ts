// The SHA-256 that names a client's limits without its API key agrees with node:crypto, at every padding boundary
// and on multi-byte text.
import { assert, it } from "@effect/vitest"
import * as Crypto from "node:crypto"
import { sha256Hex } from "../src/internal/sha256.js"

it("sha256Hex agrees with node:crypto", () => {
  const inputs = ["", "abc", "ak-test-SECRET", "ü€😀".repeat(40), "x".repeat(1000)]
  for (let n = 50; n <= 130; n++) inputs.push("a".repeat(n))
  for (const text of inputs) {
    assert.strictEqual(sha256Hex(text), Crypto.createHash("sha256").update(text).digest("hex"))
  }
})
