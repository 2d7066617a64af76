import { Serverless } from "@tensormesh-effect/core"
import { Console, Effect, Stream } from "effect"
import { type Example, Target } from "../Example.js"

export const rawSseLines: Example = {
  name: "raw-sse-lines",
  title: "Raw SSE lines of text completions and of the Responses API",
  program: Effect.gen(function*() {
    const tm = yield* Serverless
    const { model } = yield* Target
    // The scope closes the connection when the block ends, like the Python SDK's stream.close().
    yield* Effect.scoped(Effect.gen(function*() {
      const raw = yield* tm.completions.withStreamingResponse.create({
        model,
        prompt: "Stream a short reply.",
        max_tokens: 8,
        stream: true
      })
      yield* Console.log(`completions: HTTP ${raw.status} ${raw.headers["content-type"]}`)
      yield* Stream.runForEach(Stream.filter(raw.lines, (line) => line !== ""), (line) => Console.log(`  ${line}`))
    }))
    yield* Effect.scoped(Effect.gen(function*() {
      const raw = yield* tm.responses.withStreamingResponse.create({
        model,
        input: "Stream a short reply.",
        stream: true
      })
      yield* Console.log(`responses: HTTP ${raw.status}`)
      // Consecutive events of one type (the deltas) are shown once, with their count.
      const events = yield* Stream.runCollect(Stream.filter(raw.lines, (line) => line.startsWith("event:")))
      const runs: Array<[string, number]> = []
      for (const line of events) {
        const last = runs[runs.length - 1]
        if (last !== undefined && last[0] === line) last[1]++
        else runs.push([line, 1])
      }
      for (const [line, count] of runs) yield* Console.log(`  ${line}${count > 1 ? ` (×${count})` : ""}`)
    }))
  })
}
