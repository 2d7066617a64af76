// A chat-only app on tensormesh-effect with the Node transport, imported as the README shows.
import { ChatStream, Serverless } from "@tensormesh-effect/core"
import { NodeTensormesh } from "@tensormesh-effect/node"
import { Effect, Redacted, Stream } from "effect"
import { alsoStream, API_KEY, baseUrl, report, request } from "./shared.js"

const program = Effect.gen(function*() {
  const tm = yield* Serverless
  const completion = yield* tm.chat.completions.create(request)
  const streamed = alsoStream
    ? yield* tm.chat.completions.stream(request).pipe(ChatStream.textDeltas, Stream.mkString)
    : undefined
  report(completion.choices[0].message.content ?? "", streamed)
})

await Effect.runPromise(
  program.pipe(Effect.provide(NodeTensormesh.serverless({ baseUrl, apiKey: Redacted.make(API_KEY) })))
)
