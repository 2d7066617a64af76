import { Serverless } from "@tensormesh-effect/core"
import { Console, Effect, Fiber, Stream } from "effect"
import { type Example, Target } from "../Example.js"

export const rawStreamingAsync: Example = {
  name: "raw-streaming-async",
  title: "Raw streaming lines of a chat completion, consumed asynchronously in a forked fiber",
  program: Effect.scoped(Effect.gen(function*() {
    const tm = yield* Serverless
    const { model } = yield* Target
    const raw = yield* tm.chat.completions.withStreamingResponse.create({
      model,
      messages: [{ role: "user", content: "Stream a short reply." }],
      stream: true
    })
    // Another fiber reads the lines while this one is free; joining waits for the end of the stream.
    const reader = yield* Effect.fork(
      Stream.runFold(Stream.filter(raw.lines, (line) => line.startsWith("data:")), 0, (n) => n + 1)
    )
    yield* Console.log(`HTTP ${raw.status}: reading lines in fiber ${reader.id().id}`)
    const count = yield* Fiber.join(reader)
    yield* Console.log(`data lines read: ${count} (the last one is data: [DONE])`)
  }))
}
