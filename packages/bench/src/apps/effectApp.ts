// Effect alone: the same chat-only app written directly on the Effect modules the SDK uses (HttpClient, Schema,
// Stream), without the SDK: what Effect costs by itself. `effect.ts` runs it over fetch, `effect-node.ts` over undici.
// Each module by its own path, never the `effect` barrel (which loads every module of Effect, and fast-check).
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { alsoStream, API_KEY, baseUrl, report, request } from "./shared.js"

const Completion = Schema.Struct({
  id: Schema.String,
  choices: Schema.Array(Schema.Struct({
    index: Schema.Number,
    message: Schema.Struct({ role: Schema.String, content: Schema.NullOr(Schema.String) })
  }))
})
const Chunk = Schema.parseJson(Schema.Struct({
  choices: Schema.Array(
    Schema.Struct({ delta: Schema.Struct({ content: Schema.optional(Schema.NullOr(Schema.String)) }) })
  )
}))

export const program = Effect.gen(function*() {
  const client = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest(HttpClientRequest.prependUrl(baseUrl)),
    HttpClient.mapRequest(HttpClientRequest.bearerToken(API_KEY)),
    HttpClient.filterStatusOk
  )
  const completion = yield* client.execute(
    HttpClientRequest.post("/chat/completions").pipe(HttpClientRequest.bodyUnsafeJson(request))
  ).pipe(Effect.flatMap(HttpClientResponse.schemaBodyJson(Completion)))
  const streamed = alsoStream
    ? yield* client.execute(
      HttpClientRequest.post("/chat/completions").pipe(HttpClientRequest.bodyUnsafeJson({ ...request, stream: true }))
    ).pipe(
      Effect.map((response) => response.stream),
      Stream.unwrapScoped,
      Stream.decodeText(),
      Stream.splitLines,
      Stream.filter((line) => line.startsWith("data: {")),
      Stream.mapEffect((line) => Schema.decode(Chunk)(line.slice(6))),
      Stream.map((chunk) => chunk.choices[0]?.delta.content ?? ""),
      Stream.mkString
    )
    : undefined
  report(completion.choices[0].message.content ?? "", streamed)
})
