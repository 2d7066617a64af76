import { Serverless } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const toolCalling: Example = {
  name: "tool-calling",
  title: "Tool calling",
  program: Effect.gen(function*() {
    const tm = yield* Serverless
    const { model } = yield* Target
    const completion = yield* tm.chat.completions.create({
      model,
      messages: [{ role: "user", content: "What is the weather in Hanoi?" }],
      tools: [{
        type: "function",
        function: {
          name: "lookup_weather",
          description: "Look up weather for a city.",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
        }
      }],
      tool_choice: "auto"
    })
    const choice = completion.choices[0]
    yield* Console.log(`content: ${choice.message.content}`)
    for (const call of choice.message.tool_calls ?? []) {
      yield* Console.log(`tool call: ${call.function.name}(${call.function.arguments})`)
    }
    yield* Console.log(`finish_reason: ${choice.finish_reason}`)
  })
}
