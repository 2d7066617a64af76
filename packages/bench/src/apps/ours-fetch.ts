// A chat-only app on tensormesh-effect core alone, over the platform's fetch (`FetchHttpClient`), like openai.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as ChatStream from "@tensormesh-effect/core/ChatStream"
import { Serverless, ServerlessLayer } from "@tensormesh-effect/core/Serverless"
import { Effect, Layer, Redacted, Stream } from "effect"
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
  program.pipe(
    Effect.provide(
      ServerlessLayer({ baseUrl, apiKey: Redacted.make(API_KEY) }).pipe(Layer.provide(FetchHttpClient.layer))
    )
  )
)
