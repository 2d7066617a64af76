import { Serverless } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const tokenize: Example = {
  name: "tokenize",
  title: "Tokenize and detokenize",
  program: Effect.gen(function*() {
    const tm = yield* Serverless
    const { model } = yield* Target
    const tokens = yield* tm.tokenize.create({ model, prompt: "Hello!" })
    const prompt = yield* tm.detokenize.create({ model, tokens: tokens.tokens })
    yield* Console.log(
      `tokens: [${tokens.tokens.join(", ")}] (count ${tokens.count}, max_model_len ${tokens.max_model_len})`
    )
    yield* Console.log(`detokenized: ${JSON.stringify(prompt.prompt)}`)
  })
}
