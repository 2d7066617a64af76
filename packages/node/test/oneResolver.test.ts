// Core's Config layers and the Node loader read the same variables by the same rules: one table of environments,
// the same outcome (and the same typed error, naming the setting and its source) on both.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { OnDemandLayer, ServerlessLayer } from "@tensormesh-effect/core"
import { ConfigProvider, Effect, Layer } from "effect"
import * as NodeTensormesh from "../src/NodeTensormesh.js"

const USER = "1f0c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
const BASE = "https://od.example/v1"

const cases: ReadonlyArray<{
  readonly name: string
  readonly env: Record<string, string>
  readonly surface: "serverless" | "on-demand"
  /** `ok`, or the start of the error's detail. */
  readonly expect: string
}> = [
  {
    name: "an empty timeout counts as unset",
    env: { TENSORMESH_TIMEOUT_SECONDS: "" },
    surface: "serverless",
    expect: "ok"
  },
  {
    name: "a timeout in exponent notation is refused",
    env: { TENSORMESH_TIMEOUT_SECONDS: "1e3" },
    surface: "serverless",
    expect: "timeout from env:TENSORMESH_TIMEOUT_SECONDS: must be a positive number of seconds"
  },
  { name: "a decimal timeout", env: { TENSORMESH_TIMEOUT_SECONDS: "2.5" }, surface: "serverless", expect: "ok" },
  {
    name: "a fractional retry count is refused",
    env: { TENSORMESH_MAX_RETRIES: "1.5" },
    surface: "serverless",
    expect: "maxRetries from env:TENSORMESH_MAX_RETRIES: must be a whole number ≥ 0"
  },
  {
    name: "a bad serverless base URL names its variable",
    env: { TENSORMESH_SERVERLESS_BASE_URL: "ftp://x" },
    surface: "serverless",
    expect: "serverlessBaseUrl from env:TENSORMESH_SERVERLESS_BASE_URL: must be an http or https URL"
  },
  {
    name: "TENSORMESH_USER_ID alone is the on-demand user id",
    env: { TENSORMESH_ON_DEMAND_BASE_URL: BASE, TENSORMESH_USER_ID: USER },
    surface: "on-demand",
    expect: "ok"
  },
  {
    name: "a user id that is not a UUID",
    env: { TENSORMESH_ON_DEMAND_BASE_URL: BASE, TENSORMESH_ON_DEMAND_USER_ID: "me" },
    surface: "on-demand",
    expect: "userId from env:TENSORMESH_ON_DEMAND_USER_ID: not a UUID"
  },
  {
    name: "a missing on-demand base URL",
    env: { TENSORMESH_ON_DEMAND_USER_ID: USER },
    surface: "on-demand",
    expect: "onDemandBaseUrl: missing"
  }
]

const build = <A>(layer: Layer.Layer<A, unknown>, env: Record<string, string>) =>
  Effect.scoped(Layer.build(layer)).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.as("ok"),
    Effect.catchAll((error) =>
      Effect.succeed(
        typeof error === "object" && error !== null && "reason" in error
          ? `${(error as { reason: string }).reason}: ${(error as { detail?: string }).detail}`
          : String(error)
      )
    )
  )

describe("one configuration resolver for core's Config layers and the Node loader", () => {
  for (const c of cases) {
    it.effect(c.name, () =>
      Effect.gen(function*() {
        const [a, b] = c.surface === "serverless"
          ? [
            yield* build(ServerlessLayer.config().pipe(Layer.provide(FetchHttpClient.layer)), c.env),
            yield* build(NodeTensormesh.serverless(), c.env)
          ]
          : [
            yield* build(OnDemandLayer.config().pipe(Layer.provide(FetchHttpClient.layer)), c.env),
            yield* build(NodeTensormesh.onDemand(), c.env)
          ]
        // the same outcome; the Node loader may only add where else it looked (the tm file)
        assert.isTrue(b === a || b.startsWith(`${a}, or `), `core: ${a}\nnode: ${b}`)
        if (c.expect === "ok") assert.strictEqual(a, "ok")
        else assert.isTrue(a.startsWith(`InvalidConfig: ${c.expect}`), a)
        // never the value
        for (const value of Object.values(c.env)) if (value.length > 3) assert.notInclude(a.slice(15), value)
      }))
  }
})
