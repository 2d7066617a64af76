import { type InferenceClient, OnDemand, Serverless } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

/** Written once against the shared InferenceClient shape... */
const greet = (tm: InferenceClient, model: string) =>
  Effect.map(
    tm.chat.completions.create({ model, messages: [{ role: "user", content: "Say hello." }] }),
    (completion) => `${tm.surface}: ${completion.choices[0].message.content}`
  )

export const swapSurfaces: Example = {
  name: "swap-surfaces",
  title: "The same code on both surfaces, by swapping the layer",
  onDemand: true,
  program: Effect.gen(function*() {
    const target = yield* Target
    // ...and run on whichever surface the layer provides.
    yield* Console.log(yield* Effect.flatMap(Serverless, (tm) => greet(tm, target.model)))
    yield* Console.log(yield* Effect.flatMap(OnDemand, (tm) => greet(tm, target.onDemandModel)))
  })
}
