import { ChatStream, Serverless } from "@tensormesh-effect/core"
import { Console, Effect, Stream } from "effect"
import { type Example, Target } from "../Example.js"

// An SSE proxy must know the status before it answers: `openStream` succeeds only once a 2xx response arrived, so a
// 429 / 401 / 400 is a failure of the effect (answer with that status), and the stream reads the body afterwards.
export const openStream: Example = {
  name: "open-stream",
  title: "openStream: fail before the stream starts (the proxy's status), then read the chunks",
  program: Effect.gen(function*() {
    const tm = yield* Serverless
    const { model } = yield* Target
    const request = { model, messages: [{ role: "user" as const, content: "Stream a short reply." }] }
    const text = yield* Effect.scoped(
      Effect.gen(function*() {
        const chunks = yield* tm.chat.completions.openStream(request)
        yield* Console.log("opened: HTTP 2xx, reading the body")
        return yield* chunks.pipe(ChatStream.textDeltas, Stream.mkString)
      })
    )
    yield* Console.log(`text: ${text}`)
    const status = yield* Effect.scoped(tm.chat.completions.openStream({ ...request, temperature: 5 })).pipe(
      Effect.as(200),
      Effect.catchTags({
        ValidationError: (e) =>
          Console.log(`rejected before any byte: ${e.issues[0]?.path.join(".")}`).pipe(Effect.as(400)),
        AuthError: () => Effect.succeed(401),
        UpstreamError: (e) => Effect.succeed(e.reason === "RateLimited" ? 429 : 502)
      })
    )
    yield* Console.log(`proxy status: ${status}`)
  })
}
