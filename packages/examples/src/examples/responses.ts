import { Serverless } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const responses: Example = {
  name: "responses",
  title: "Serverless Responses API",
  program: Effect.gen(function*() {
    const tm = yield* Serverless
    const { model } = yield* Target
    const response = yield* tm.responses.create({ model, input: "Say hello." })
    yield* Console.log(`output_text: ${response.output_text}`)
    yield* Console.log(`output items: ${response.output.map((item) => item.type).join(", ")}`)
    yield* Console.log(`usage: ${response.usage?.input_tokens} in, ${response.usage?.output_tokens} out`)
  })
}
