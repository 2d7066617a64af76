// TensormeshTest: a one-handler fake serving create, stream, openStream and the raw variants, real request checks,
// clear defects for methods without a handler, and the builders.
import { assert, describe, it } from "@effect/vitest"
import { Cause, Chunk, Effect, Exit, Stream } from "effect"
import {
  ChatStream,
  OnDemand,
  ResponseStream,
  Serverless,
  Tensormesh,
  TensormeshTest,
  type ValidationError
} from "../src/index.js"

const request = { model: "m", messages: [{ role: "user" as const, content: "hello there" }] }

const seen: Array<unknown> = []
const Fake = TensormeshTest.layer({
  chat: {
    completions: {
      create: (r) =>
        Effect.sync(() => {
          seen.push(r)
          return TensormeshTest.chatCompletion(`You said: ${r.messages[0].content}`)
        })
    }
  },
  responses: { create: (r) => Effect.succeed(TensormeshTest.response(`re: ${String(r.input)}`)) }
})

describe("TensormeshTest.layer", () => {
  it.effect("one create handler serves create, stream, openStream, withRawResponse and withStreamingResponse", () =>
    Effect.gen(function*() {
      const tm = yield* Tensormesh
      const whole = yield* tm.chat.completions.create(request)
      assert.strictEqual(whole.choices[0].message.content, "You said: hello there")
      const streamed = yield* tm.chat.completions.stream(request).pipe(ChatStream.textDeltas, Stream.mkString)
      assert.strictEqual(streamed, "You said: hello there")
      const opened = yield* Effect.scoped(
        Effect.flatMap(tm.chat.completions.openStream(request), (s) => Stream.runCollect(s))
      )
      assert.strictEqual(Chunk.toReadonlyArray(opened).at(-1)?.usage?.total_tokens, whole.usage?.total_tokens)
      const raw = yield* tm.chat.completions.withRawResponse.create(request)
      assert.strictEqual(raw.status, 200)
      assert.deepStrictEqual(yield* raw.parse, whole)
      const lines = yield* Effect.scoped(Effect.flatMap(
        tm.chat.completions.withStreamingResponse.create(request),
        (response) => Stream.runCollect(response.lines)
      ))
      assert.strictEqual(Chunk.toReadonlyArray(lines).at(-2), "data: [DONE]")
      // the same client behind every tag
      assert.strictEqual(yield* Serverless, tm)
      assert.strictEqual(yield* OnDemand, tm)
      const text = yield* tm.responses.stream({ model: "m", input: "x" }).pipe(
        ResponseStream.textDeltas,
        Stream.mkString
      )
      assert.strictEqual(text, "re: x")
    }).pipe(Effect.provide(Fake)))

  it.effect("requests pass the real checks: a bad request fails with issues and never reaches the handler", () =>
    Effect.gen(function*() {
      const tm = yield* Serverless
      const before = seen.length
      const error = yield* Effect.flip(tm.chat.completions.create({ ...request, temperature: 9 }))
      assert.strictEqual(error._tag, "ValidationError")
      assert.deepStrictEqual((error as ValidationError).issues.map((i) => i.path), [["temperature"]])
      const flagged = yield* Effect.flip(tm.chat.completions.create({ ...request, stream: true } as never))
      assert.strictEqual(flagged._tag, "ValidationError")
      const streamFailure = yield* Effect.flip(Effect.scoped(tm.chat.completions.openStream({ ...request, top_p: 3 })))
      assert.strictEqual(streamFailure._tag, "ValidationError")
      assert.strictEqual(seen.length, before)
    }).pipe(Effect.provide(Fake)))

  it.effect("a method without a handler dies naming it", () =>
    Effect.gen(function*() {
      const tm = yield* Tensormesh
      const exit = yield* Effect.exit(tm.completions.create({ model: "m", prompt: "p" }))
      assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
      assert.include(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "", "no handler for completions.create")
      const listed = yield* Effect.exit(tm.models.list())
      assert.include(Exit.isFailure(listed) ? Cause.pretty(listed.cause) : "", "no handler for models.list")
    }).pipe(Effect.provide(Fake)))

  it.effect("handler errors are the handler's own: each family's builder", () =>
    Effect.gen(function*() {
      const errors = [
        TensormeshTest.authError(),
        TensormeshTest.validationError({ issues: [{ path: ["model"], message: "unknown model" }] }),
        TensormeshTest.upstreamError("RateLimited")
      ]
      for (const error of errors) {
        const tm = yield* Effect.provide(
          Tensormesh,
          TensormeshTest.layer({ chat: { completions: { create: () => Effect.fail(error) } } })
        )
        assert.strictEqual(yield* Effect.flip(tm.chat.completions.create(request)), error)
        assert.strictEqual(
          yield* Effect.flip(Effect.scoped(tm.chat.completions.openStream(request))),
          error
        )
      }
      assert.strictEqual(errors[0].status, 401)
      assert.strictEqual(errors[2].status, 429)
      assert.isTrue(errors[2].retryable)
    }))

  it.effect("builders: chunks from text pieces, a tool-call completion", () =>
    Effect.gen(function*() {
      const tm = yield* Effect.provide(
        Tensormesh,
        TensormeshTest.layer({
          chat: { completions: { stream: () => Stream.fromIterable(TensormeshTest.chatChunks(["Hel", "lo"])) } }
        })
      )
      assert.strictEqual(
        yield* tm.chat.completions.stream(request).pipe(ChatStream.textDeltas, Stream.mkString),
        "Hello"
      )
      const call = TensormeshTest.chatCompletion({ toolCalls: [{ name: "weather", arguments: { city: "Paris" } }] })
      assert.strictEqual(call.choices[0].finish_reason, "tool_calls")
      assert.strictEqual(call.choices[0].message.tool_calls?.[0].function.arguments, "{\"city\":\"Paris\"}")
      const chunks = TensormeshTest.chatChunksOf(call)
      assert.isTrue(chunks.some((c) => c.choices[0]?.delta.tool_calls?.[0].function?.name === "weather"))
    }))
})
