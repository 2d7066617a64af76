// A chat-only app on tensormesh-effect core alone, over the platform's fetch (`FetchHttpClient`), like openai; every
// module imported by its own path (`effect/Effect`, `@tensormesh-effect/core/Serverless`, ...), as `effect.ts` does.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as ChatStream from "@tensormesh-effect/core/ChatStream"
import { Serverless, ServerlessLayer } from "@tensormesh-effect/core/Serverless"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
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
  program.pipe(
    Effect.provide(
      ServerlessLayer({ baseUrl, apiKey: Redacted.make(API_KEY) }).pipe(Layer.provide(FetchHttpClient.layer))
    )
  )
)
