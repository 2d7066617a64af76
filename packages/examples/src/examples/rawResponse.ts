import { Serverless } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const rawResponse: Example = {
  name: "raw-response",
  title: "Raw responses: status, headers and the unwrapped JSON payload",
  program: Effect.gen(function*() {
    const tm = yield* Serverless
    const { model } = yield* Target
    const raw = yield* tm.chat.completions.withRawResponse.create({
      model,
      messages: [{ role: "user", content: "Say hello." }]
    })
    yield* Console.log(`status: ${raw.status}, content-type: ${raw.headers["content-type"]}`)
    yield* Console.log(`json: ${JSON.stringify(raw.json)}`)
    const parsed = yield* raw.parse
    yield* Console.log(`parsed content: ${parsed.choices[0].message.content}`)
  })
}
