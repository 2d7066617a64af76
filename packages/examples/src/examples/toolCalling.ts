import { type ChatCompletion, Serverless } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const toolCalling: Example = {
  name: "tool-calling",
  title: "Tool calling",
  program: Effect.gen(function*() {
    const tm = yield* Serverless
    const { model } = yield* Target
    const tools = [{
      type: "function" as const,
      function: {
        name: "lookup_weather",
        description: "Look up weather for a city.",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
      }
    }]
    const messages: Array<ChatCompletion.ChatMessageParam> = [
      { role: "user", content: "What is the weather in Hanoi?" }
    ]
    const completion = yield* tm.chat.completions.create({ model, messages, tools, tool_choice: "auto" })
    const choice = completion.choices[0]
    yield* Console.log(`content: ${choice.message.content}`)
    for (const call of choice.message.tool_calls ?? []) {
      yield* Console.log(`tool call: ${call.function.name}(${call.function.arguments})`)
    }
    yield* Console.log(`finish_reason: ${choice.finish_reason}`)
    // The loop's next turn: the returned message goes back as it is, followed by each tool's result.
    messages.push(choice.message)
    for (const call of choice.message.tool_calls ?? []) {
      const { city } = JSON.parse(call.function.arguments) as { city: string }
      messages.push({ role: "tool", tool_call_id: call.id, content: `31°C and humid in ${city}` })
    }
    const answer = yield* tm.chat.completions.create({ model, messages, tools })
    yield* Console.log(`answer: ${answer.choices[0].message.content}`)
  })
}
