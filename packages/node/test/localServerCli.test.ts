import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { parseArgs } from "../src/internal/localServer/cli.js"

describe("tensormesh-local arguments", () => {
  it("defaults to serverless on 127.0.0.1:8000", () => {
    assert.deepStrictEqual(
      parseArgs([]),
      Either.right({
        _tag: "Serve",
        options: { port: 8000, host: "127.0.0.1", mode: "serverless", tokenDelay: 0, responsesUsage: "chat" }
      })
    )
  })

  it("reads every option, in both spellings", () => {
    const parsed = parseArgs([
      "--port",
      "18123",
      "--host=::1",
      "--on-demand",
      "--token-delay-ms",
      "25",
      "--api-key",
      "a",
      "--api-key=b",
      "--user-id",
      "0b5c6a1e-8f3d-4c2a-9e7b-1d2f3a4b5c6d",
      "--responses-usage",
      "native"
    ])
    assert.deepStrictEqual(
      parsed,
      Either.right({
        _tag: "Serve",
        options: {
          port: 18123,
          host: "::1",
          mode: "on-demand",
          tokenDelay: 25,
          responsesUsage: "native",
          apiKeys: ["a", "b"],
          userIds: ["0b5c6a1e-8f3d-4c2a-9e7b-1d2f3a4b5c6d"]
        }
      })
    )
  })

  it("help and errors", () => {
    assert.deepStrictEqual(parseArgs(["--port", "1", "-h"]), Either.right({ _tag: "Help" }))
    for (
      const argv of [["--port"], ["--port", "70000"], ["--port", "x"], ["--bogus"], ["--on-demand=yes"], [
        "--responses-usage",
        "weird"
      ]]
    ) {
      assert.isTrue(Either.isLeft(parseArgs(argv)), argv.join(" "))
    }
  })
})
