// Typechecked by the package check as .mts and .cts under `module: nodenext`, and as .ts under
// `moduleResolution: bundler`, against the packed packages installed from their tarballs.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { ChatStream, Serverless, ServerlessLayer, type TensormeshError, ValidationError } from "@tensormesh-effect/core"
import * as DeepChatStream from "@tensormesh-effect/core/ChatStream"
import { NodeTensormesh, TmConfig } from "@tensormesh-effect/node"
import * as LocalServer from "@tensormesh-effect/node/LocalServer"
import { Effect, Layer, Stream } from "effect"
// @ts-expect-error internal modules are not exported
import type * as _Internal from "@tensormesh-effect/core/internal/client"

export const program: Effect.Effect<string, TensormeshError, Serverless> = Effect.gen(function*() {
  const tm = yield* Serverless
  const completion = yield* tm.chat.completions.create({
    model: "tensormesh/echo",
    messages: [{ role: "user", content: "hi" }]
  })
  const streamed = yield* tm.chat.completions.stream({
    model: "tensormesh/echo",
    messages: [{ role: "user", content: "hi" }]
  }).pipe(DeepChatStream.textDeltas, Stream.mkString)
  return `${completion.choices[0]?.message.content ?? ""} ${streamed}`
})

export const textDeltas: typeof DeepChatStream.textDeltas = ChatStream.textDeltas
export const overFetch = ServerlessLayer.config().pipe(Layer.provide(FetchHttpClient.layer))
export const overUndici: Layer.Layer<Serverless, ValidationError> = NodeTensormesh.serverless()
export const tmConfig = TmConfig

export const inspected: Effect.Effect<
  ReadonlyArray<LocalServer.ReceivedRequest>,
  unknown
> = Effect.gen(function*() {
  yield* program
  const server = yield* LocalServer.LocalServer
  return yield* server.requests
}).pipe(Effect.provide(LocalServer.serverlessLayer({ cors: true })))
