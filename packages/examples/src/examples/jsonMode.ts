import { Serverless } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const jsonMode: Example = {
  name: "json-mode",
  title: "JSON mode (response_format json_object; json_schema is rejected before sending)",
  program: Effect.gen(function*() {
    const tm = yield* Serverless
    const { model } = yield* Target
    const completion = yield* tm.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Respond with valid JSON." }],
      response_format: { type: "json_object" }
    })
    const content = completion.choices[0].message.content ?? ""
    yield* Console.log(`content: ${content}`)
    yield* Console.log(`parses as JSON: ${JSON.stringify(JSON.parse(content))}`)
  })
}
