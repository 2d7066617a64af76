import { Serverless, ServerlessLayer } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const healthVersion: Example = {
  name: "health-version",
  title: "Health and version, without an API key",
  program: Effect.gen(function*() {
    const target = yield* Target
    const keyless = ServerlessLayer({ baseUrl: target.serverlessBaseUrl })
    const [health, version] = yield* Effect.flatMap(
      Serverless,
      (tm) => Effect.all([tm.health.get(), tm.version.get()])
    ).pipe(Effect.provide(keyless))
    yield* Console.log(`health: ${health.status}`)
    yield* Console.log(`version: ${version.version ?? "unknown"}`)
  })
}
