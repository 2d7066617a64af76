import { Serverless } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const serverlessChat: Example = {
  name: "serverless-chat",
  title: "Serverless chat completions",
  program: Effect.gen(function*() {
    const tm = yield* Serverless
    const { model } = yield* Target
    const completion = yield* tm.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Say hello." }]
    })
    yield* Console.log(`content: ${completion.choices[0].message.content}`)
    yield* Console.log(
      `usage: ${completion.usage?.prompt_tokens} prompt + ${completion.usage?.completion_tokens} completion tokens`
    )
  })
}
