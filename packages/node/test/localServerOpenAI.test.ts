import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import OpenAI from "openai"
import * as LocalServer from "../src/LocalServer.js"
import { KEY } from "./support/http.js"

const ECHO = "tensormesh/echo"
const OSS = "openai/gpt-oss-20b"

const client = Effect.map(
  LocalServer.LocalServer,
  (server) => new OpenAI({ baseURL: server.baseUrl, apiKey: KEY, maxRetries: 0 })
)

const call = <A>(f: (client: OpenAI) => Promise<A>) => Effect.flatMap(client, (c) => Effect.promise(() => f(c)))

const failure = <A>(f: (client: OpenAI) => Promise<A>) =>
  Effect.flatMap(client, (c) => Effect.flip(Effect.tryPromise({ try: () => f(c), catch: (error) => error })))

layer(LocalServer.layer(), { excludeTestServices: true })("the official openai client", (it) => {
  it.effect("chat.completions.create", () =>
    Effect.gen(function*() {
      const completion = yield* call((c) =>
        c.chat.completions.create({ model: OSS, messages: [{ role: "user", content: "Hello" }] })
      )
      assert.strictEqual(completion.choices[0]!.message.content, "You said: Hello")
      assert.strictEqual(
        (completion.choices[0]!.message as unknown as { reasoning: string }).reasoning,
        "The user said Hello. I will echo it."
      )
      assert.strictEqual(completion.usage?.prompt_tokens_details?.cached_tokens, 0)
    }))

  it.effect("chat.completions.create with stream: true, iterated with for await", () =>
    Effect.gen(function*() {
      const { content, usage } = yield* call(async (c) => {
        const stream = await c.chat.completions.create({
          model: ECHO,
          messages: [{ role: "user", content: "Stream please" }],
          stream: true,
          stream_options: { include_usage: true }
        })
        let content = ""
        let usage: OpenAI.CompletionUsage | undefined | null
        for await (const chunk of stream) {
          content += chunk.choices[0]?.delta.content ?? ""
          if (chunk.usage) usage = chunk.usage
        }
        return { content, usage }
      })
      assert.strictEqual(content, "You said: Stream please")
      assert.strictEqual(usage?.completion_tokens, LocalServer.tokenize("You said: Stream please").length)
    }))

  it.effect("the chat stream helper accumulates tool-call deltas", () =>
    Effect.gen(function*() {
      const final = yield* call((c) =>
        c.chat.completions.stream({
          model: ECHO,
          messages: [{ role: "user", content: "Paris" }],
          tools: [{
            type: "function",
            function: {
              name: "lookup",
              description: "Look a city up",
              parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
            }
          }]
        }).finalChatCompletion()
      )
      const toolCall = final.choices[0]!.message.tool_calls![0]!
      assert.strictEqual(toolCall.type, "function")
      if (toolCall.type === "function") {
        assert.strictEqual(toolCall.function.name, "lookup")
        assert.deepStrictEqual(JSON.parse(toolCall.function.arguments), { city: "Paris" })
      }
      assert.strictEqual(final.choices[0]!.finish_reason, "tool_calls")
    }))

  it.effect("completions.create", () =>
    Effect.gen(function*() {
      const completion = yield* call((c) => c.completions.create({ model: ECHO, prompt: "Hi", max_tokens: 8 }))
      assert.strictEqual(completion.choices[0]!.text, " You said: Hi")
      assert.strictEqual(completion.choices[0]!.finish_reason, "stop")
    }))

  it.effect("responses.create and its output_text", () =>
    Effect.gen(function*() {
      const response = yield* call((c) => c.responses.create({ model: OSS, input: "Hey" }))
      assert.strictEqual(response.output_text, "You said: Hey")
      assert.strictEqual(response.status, "completed")
    }))

  it.effect("responses stream events", () =>
    Effect.gen(function*() {
      const types = yield* call(async (c) => {
        const stream = await c.responses.create({ model: ECHO, input: "Hey", stream: true })
        const types: Array<string> = []
        for await (const event of stream) types.push(event.type)
        return types
      })
      assert.strictEqual(types[0], "response.created")
      assert.strictEqual(types[types.length - 1], "response.completed")
    }))

  it.effect("models.list", () =>
    Effect.gen(function*() {
      const ids = yield* call(async (c) => {
        const ids: Array<string> = []
        for await (const model of c.models.list()) ids.push(model.id)
        return ids
      })
      assert.deepStrictEqual(ids, LocalServer.models.map((model) => model.id))
    }))

  it.effect("error statuses surface as OpenAI.APIError with the status", () =>
    Effect.gen(function*() {
      const notFound = yield* failure((c) =>
        c.chat.completions.create({ model: "nope/nope", messages: [{ role: "user", content: "x" }] })
      )
      assert.instanceOf(notFound, OpenAI.NotFoundError)
      assert.strictEqual((notFound as InstanceType<typeof OpenAI.APIError>).status, 404)
      assert.match((notFound as Error).message, /does not exist/)
      const limited = yield* failure((c) =>
        c.chat.completions.create(
          { model: ECHO, messages: [{ role: "user", content: "x" }] },
          { headers: { [LocalServer.FAULT_HEADER]: "status=429;retry-after=1;request-id" } }
        )
      )
      assert.instanceOf(limited, OpenAI.RateLimitError)
      assert.strictEqual((limited as InstanceType<typeof OpenAI.APIError>).status, 429)
      const unauthorized = yield* Effect.flatMap(LocalServer.LocalServer, (server) =>
        Effect.flip(Effect.tryPromise({
          try: () =>
            new OpenAI({ baseURL: server.baseUrl, apiKey: "", maxRetries: 0 }).chat.completions.create({
              model: ECHO,
              messages: [{ role: "user", content: "x" }]
            }),
          catch: (error) => error
        })))
      assert.instanceOf(unauthorized, OpenAI.AuthenticationError)
    }))

  it.effect("an error event mid-stream throws an APIError from the iterator", () =>
    Effect.gen(function*() {
      const error = yield* failure(async (c) => {
        const stream = await c.chat.completions.create(
          { model: ECHO, messages: [{ role: "user", content: "x" }], stream: true },
          { headers: { [LocalServer.FAULT_HEADER]: "error-after-chunks=2" } }
        )
        for await (const _ of stream) {
          // drain
        }
      })
      assert.instanceOf(error, OpenAI.APIError)
      assert.match((error as Error).message, /Internal server error/)
    }))
})
