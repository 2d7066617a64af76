import { Serverless, ServerlessLayer } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const modelsWithoutKey: Example = {
  name: "models",
  title: "Serverless model listing, without an API key",
  program: Effect.gen(function*() {
    const target = yield* Target
    // A layer with no apiKey: models, health and version still work.
    const keyless = ServerlessLayer({ baseUrl: target.serverlessBaseUrl })
    const models = yield* Effect.flatMap(Serverless, (tm) => tm.models.list()).pipe(Effect.provide(keyless))
    yield* Console.log(`first model: ${models.data[0]?.id ?? "none"}`)
    yield* Console.log(`all models: ${models.data.map((m) => m.id).join(", ")}`)
  })
}
