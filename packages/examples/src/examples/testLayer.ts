import { ChatStream, Tensormesh, TensormeshTest } from "@tensormesh-effect/core"
import { Console, Effect, Stream } from "effect"
import type { Example } from "../Example.js"

// Code written against `Tensormesh`, tested with `TensormeshTest.layer`: one `create` handler serves create, stream
// and openStream; requests still pass the real request checks.
const assistant = (question: string) =>
  Effect.gen(function*() {
    const tm = yield* Tensormesh
    return yield* tm.chat.completions.stream({ model: "any", messages: [{ role: "user", content: question }] }).pipe(
      ChatStream.textDeltas,
      Stream.mkString
    )
  })

export const testLayer: Example = {
  name: "test-layer",
  title: "TensormeshTest: a fake Tensormesh from one handler, no HTTP",
  program: Effect.gen(function*() {
    const Fake = TensormeshTest.layer({
      chat: {
        completions: {
          create: (request) =>
            Effect.succeed(TensormeshTest.chatCompletion(`fake answer to ${request.messages.length} message(s)`))
        }
      }
    })
    const answer = yield* assistant("hi").pipe(Effect.provide(Fake))
    yield* Console.log(`streamed from the fake: ${answer}`)
    const rejected = yield* Effect.flatMap(
      Tensormesh,
      (tm) => tm.chat.completions.create({ model: "any", messages: [{ role: "user", content: "x" }], top_p: 7 })
    ).pipe(
      Effect.provide(Fake),
      Effect.match({
        onFailure: (e) => `${e._tag} at ${e._tag === "ValidationError" ? e.issues[0]?.path.join(".") : "?"}`,
        onSuccess: () => "accepted"
      })
    )
    yield* Console.log(`the fake validates like production: ${rejected}`)
    const failing = TensormeshTest.layer({
      chat: { completions: { create: () => Effect.fail(TensormeshTest.upstreamError("RateLimited")) } }
    })
    const failure = yield* assistant("hi").pipe(
      Effect.provide(failing),
      Effect.match({ onFailure: (e) => e.message, onSuccess: () => "no failure" })
    )
    yield* Console.log(`a fake failure: ${failure}`)
  })
}
