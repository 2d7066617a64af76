import { OnDemand } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const onDemandUtilities: Example = {
  name: "on-demand-utilities",
  title: "On-demand models, responses and tokenize",
  onDemand: true,
  program: Effect.gen(function*() {
    const tm = yield* OnDemand
    const { onDemandModel: model } = yield* Target
    const [models, response, tokens] = yield* Effect.all([
      tm.models.list(),
      tm.responses.create({ model, input: "Say hello." }),
      tm.tokenize.create({ model, prompt: "Hello!" })
    ], { concurrency: "unbounded" })
    yield* Console.log(`first model: ${models.data[0]?.id ?? "no models"}`)
    yield* Console.log(`response: ${response.output_text}`)
    yield* Console.log(`tokens: [${tokens.tokens.join(", ")}]`)
  })
}
