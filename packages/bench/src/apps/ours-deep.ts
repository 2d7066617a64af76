// The same app as ours.ts, every module imported by its own path, as `effect-node.ts` does: `effect/Effect`, ...,
// `@tensormesh-effect/core/<Module>` and the Node layers by `@tensormesh-effect/node/NodeTensormesh` (the package
// index also loads the local server).
import * as ChatStream from "@tensormesh-effect/core/ChatStream"
import { Serverless } from "@tensormesh-effect/core/Serverless"
import * as NodeTensormesh from "@tensormesh-effect/node/NodeTensormesh"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
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
