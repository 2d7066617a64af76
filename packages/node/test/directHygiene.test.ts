// Secret hygiene over the Node transport's direct path (core's hygiene suite runs over HttpClient): with a
// distinctive key and user id, the failures users see never contain either, nor does anything logged about them.
import { assert, describe, it } from "@effect/vitest"
import { ChatStream, OnDemand } from "@tensormesh-effect/core"
import { Cause, ConfigProvider, Effect, Layer, Logger, Redacted, Stream } from "effect"
import * as LocalServer from "../src/LocalServer.js"
import * as NodeTensormesh from "../src/NodeTensormesh.js"

const KEY = "ak-DIRECT-HYGIENE-5d2e"
const USER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"

const faults = [
  "status=401; shape=string",
  "status=500; shape=nested",
  "status=502; shape=html",
  "status=429; shape=text; retry-after=90",
  "reset",
  "reset-after-bytes=20",
  "malformed-json",
  "wrong-shape",
  "error-after-chunks=2",
  "cut-after-chunks=2",
  "stall"
]

describe("no secret over the direct path", () => {
  for (const fault of faults) {
    it.scopedLive(fault, () =>
      Effect.gen(function*() {
        const logs: Array<string> = []
        const server = yield* Effect.orDie(LocalServer.make({ mode: "on-demand", apiKeys: [KEY], userIds: [USER_ID] }))
        const layer = NodeTensormesh.onDemand({
          baseUrl: server.baseUrl,
          userId: USER_ID,
          apiKey: Redacted.make(KEY),
          maxRetries: 0,
          timeout: "300 millis"
        }).pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map()))))
        const headers = { [LocalServer.FAULT_HEADER]: fault }
        const request = { model: "tensormesh/echo", messages: [{ role: "user" as const, content: "hi" }] }
        // the mid-stream faults only break streams
        const streamOnly = fault.startsWith("error-after") || fault.startsWith("cut-after")
        const calls = [
          ...(streamOnly ? [] : [Effect.flatMap(OnDemand, (tm) => tm.chat.completions.create(request, { headers }))]),
          Effect.flatMap(OnDemand, (tm) =>
            tm.chat.completions.stream(request, { headers }).pipe(ChatStream.textDeltas, Stream.runDrain))
        ]
        for (const call of calls) {
          const error = yield* call.pipe(
            Effect.tapErrorCause((cause) =>
              Effect.logError("failed", cause)
            ),
            Effect.flip,
            Effect.provide(layer),
            Effect.provide(Logger.replace(
              Logger.defaultLogger,
              Logger.make(({ cause, message }) => {
                logs.push(`${String(message)} ${Cause.pretty(cause)}`)
              })
            ))
          )
          const rendered = [String(error), JSON.stringify(error), error.message, error.stack ?? "", ...logs].join("\n")
          assert.notInclude(rendered, KEY)
          assert.notInclude(rendered, USER_ID)
          assert.isTrue(logs.length > 0)
        }
      }))
  }
})
