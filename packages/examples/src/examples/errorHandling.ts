import { Serverless, ServerlessLayer } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const errorHandling: Example = {
  name: "error-handling",
  title: "Handling each error family with catchTag",
  program: Effect.gen(function*() {
    const target = yield* Target
    const ask = (model: string) =>
      Effect.flatMap(
        Serverless,
        (tm) =>
          tm.chat.completions.create({ model, messages: [{ role: "user", content: "Hi" }] }).pipe(
            Effect.as("ok"),
            Effect.catchTag("AuthError", (e) => Effect.succeed(`AuthError: ${e.message}`)),
            Effect.catchTag("ValidationError", (e) => Effect.succeed(`ValidationError: ${e.message}`)),
            Effect.catchTag(
              "UpstreamError",
              (e) => Effect.succeed(`UpstreamError/${e.reason} (retryable: ${e.retryable}): ${e.message}`)
            )
          )
      )
    // No key: fails before anything is sent.
    yield* Console.log(
      yield* ask(target.model).pipe(Effect.provide(ServerlessLayer({ baseUrl: target.serverlessBaseUrl })))
    )
    // An unknown model: the server answers 404.
    yield* Console.log(yield* ask("no-such/model"))
    // A policy check before sending: json_schema is not supported on this surface.
    const rejected = yield* Effect.flatMap(Serverless, (tm) =>
      tm.chat.completions.create({
        model: target.model,
        messages: [{ role: "user", content: "Hi" }],
        response_format: { type: "json_schema" } as never
      })).pipe(
        Effect.as("ok"),
        Effect.catchTag("ValidationError", (e) => Effect.succeed(`ValidationError: ${e.message}`))
      )
    yield* Console.log(rejected)
    // Nothing listening: a connection failure, typed and retryable.
    const unreachable = ServerlessLayer({ baseUrl: "http://127.0.0.1:9/v1", maxRetries: 0 })
    yield* Console.log(
      yield* Effect.flatMap(Serverless, (tm) => tm.models.list()).pipe(
        Effect.as("ok"),
        Effect.catchTag(
          "UpstreamError",
          (e) => Effect.succeed(`UpstreamError/${e.reason} (retryable: ${e.retryable})`)
        ),
        Effect.provide(unreachable)
      )
    )
  })
}
