import { ChatStream, Serverless } from "@tensormesh-effect/core"
import { Console, Effect, Stream } from "effect"
import { type Example, Target } from "../Example.js"

export const streaming: Example = {
  name: "streaming",
  title: "Streaming text deltas (leaked <think> blocks suppressed) and the accumulated completion",
  program: Effect.gen(function*() {
    const tm = yield* Serverless
    const { thinkingModel: model } = yield* Target
    const request = { model, messages: [{ role: "user" as const, content: "Stream a short reply." }] }
    const deltas: Array<string> = []
    // The Python guide's create(..., stream=True) is .stream(...): `stream: true` may be written, as there.
    yield* tm.chat.completions.stream({ ...request, stream: true }).pipe(
      ChatStream.textDeltas,
      Stream.runForEach((text) => Effect.sync(() => deltas.push(text)))
    )
    yield* Console.log(`text deltas: ${JSON.stringify(deltas)}`)
    yield* Console.log(`text: ${deltas.join("")}`)
    const final = yield* ChatStream.accumulate(tm.chat.completions.stream(request))
    yield* Console.log(`accumulated content: ${final.choices[0].message.content}`)
    yield* Console.log(`accumulated reasoning: ${final.choices[0].message.reasoning ?? "(none)"}`)
    yield* Console.log(`usage: ${final.usage?.total_tokens} tokens`)
  })
}
