import { Serverless } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const textCompletions: Example = {
  name: "text-completions",
  title: "Serverless text completions",
  program: Effect.gen(function*() {
    const tm = yield* Serverless
    const { model } = yield* Target
    const completion = yield* tm.completions.create({ model, prompt: "Reply with ok.", max_tokens: 16 })
    yield* Console.log(`text: ${JSON.stringify(completion.choices[0].text)}`)
    yield* Console.log(`finish_reason: ${completion.choices[0].finish_reason}`)
  })
}
