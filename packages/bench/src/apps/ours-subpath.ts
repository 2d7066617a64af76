// The same app as ours.ts, importing the Node layers by their subpath (`@tensormesh-effect/node/NodeTensormesh`)
// rather than the package index, which also loads the local server.
import { ChatStream, Serverless } from "@tensormesh-effect/core"
import * as NodeTensormesh from "@tensormesh-effect/node/NodeTensormesh"
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
