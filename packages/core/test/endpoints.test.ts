import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { OnDemand, OnDemandLayer, Serverless, ServerlessLayer } from "../src/index.js"
import type { InferenceClient } from "../src/InferenceClient.js"
import * as F from "./support/fixtures.js"
import { type Handler, json, mockTransport } from "./support/mock.js"

const key = Redacted.make(F.KEY)

// The same assertions run on both surfaces: only the base URL and X-User-Id differ.
const surfaces = [
  {
    name: "serverless",
    base: "https://serverless.tensormesh.ai/v1",
    root: "https://serverless.tensormesh.ai",
    userId: undefined,
    provide: (handler: Handler) => {
      const mock = mockTransport(handler)
      const layer = ServerlessLayer({ apiKey: key }).pipe(Layer.provide(mock.layer))
      const run = <A, E>(f: (tm: InferenceClient) => Effect.Effect<A, E>) =>
        Effect.flatMap(Serverless, f).pipe(Effect.provide(layer))
      return { mock, run }
    }
  },
  {
    name: "on-demand",
    base: "https://external.nebius.tensormesh.ai/v1",
    root: "https://external.nebius.tensormesh.ai",
    userId: F.USER_ID,
    provide: (handler: Handler) => {
      const mock = mockTransport(handler)
      const layer = OnDemandLayer({
        baseUrl: "https://external.nebius.tensormesh.ai/v1/",
        userId: F.USER_ID,
        apiKey: key
      }).pipe(Layer.provide(mock.layer))
      const run = <A, E>(f: (tm: InferenceClient) => Effect.Effect<A, E>) =>
        Effect.flatMap(OnDemand, f).pipe(Effect.provide(layer))
      return { mock, run }
    }
  }
] as const

for (const surface of surfaces) {
  describe(`${surface.name} endpoints on the wire`, () => {
    const headersOf = (headers: Readonly<Record<string, string>>, body: boolean) => {
      assert.strictEqual(headers["authorization"], `Bearer ${F.KEY}`)
      assert.strictEqual(headers["user-agent"], "tensormesh-effect/0.1.0")
      assert.strictEqual(headers["x-user-id"], surface.userId)
      assert.strictEqual(headers["content-type"], body ? "application/json" : undefined)
      // no custom x-* headers besides X-User-Id, no trace propagation
      const custom = Object.keys(headers).filter((h) => h.startsWith("x-") && h !== "x-user-id")
      assert.deepStrictEqual(custom, [])
      assert.strictEqual(headers["traceparent"], undefined)
      assert.strictEqual(headers["b3"], undefined)
    }

    it.effect("chat.completions.create", () =>
      Effect.gen(function*() {
        const { mock, run } = surface.provide(() => json(F.chatCompletion("Paris.", { reasoning: "Capital." })))
        const result = yield* run((tm) =>
          tm.chat.completions.create({
            model: "openai/gpt-oss-120b",
            messages: [{ role: "user", content: "Capital of France?" }],
            max_tokens: 32,
            temperature: 0,
            extraBody: { top_k: 5, chat_template_kwargs: { enable_thinking: false } }
          })
        )
        const [request] = mock.seen
        assert.strictEqual(request.method, "POST")
        assert.strictEqual(request.url, `${surface.base}/chat/completions`)
        headersOf(request.headers, true)
        assert.deepStrictEqual(request.json, {
          model: "openai/gpt-oss-120b",
          messages: [{ role: "user", content: "Capital of France?" }],
          max_tokens: 32,
          temperature: 0,
          top_k: 5,
          chat_template_kwargs: { enable_thinking: false }
        })
        assert.strictEqual(result.choices[0].message.content, "Paris.")
        assert.strictEqual(result.choices[0].message.reasoning, "Capital.")
        assert.strictEqual(result.usage?.prompt_tokens_details?.cached_tokens, 64)
        // unknown fields are kept
        assert.deepStrictEqual((result as any).kv_transfer_params.cached_token_stats.num_lmcache_cached_tokens, 64)
      }))

    it.effect("completions.create", () =>
      Effect.gen(function*() {
        const { mock, run } = surface.provide(() => json(F.textCompletion(" ok")))
        const result = yield* run((tm) =>
          tm.completions.create({ model: "m", prompt: "Reply with ok.", max_tokens: 4 })
        )
        assert.strictEqual(mock.seen[0].url, `${surface.base}/completions`)
        headersOf(mock.seen[0].headers, true)
        assert.deepStrictEqual(mock.seen[0].json, { model: "m", prompt: "Reply with ok.", max_tokens: 4 })
        assert.strictEqual(result.choices[0].text, " ok")
        assert.strictEqual(result.choices[0].finish_reason, "length")
        assert.strictEqual((result.choices[0] as any).prompt_token_ids, null)
      }))

    it.effect("responses.create with chat-style usage", () =>
      Effect.gen(function*() {
        const { mock, run } = surface.provide(() =>
          json(F.response("Hello!", { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }))
        )
        const result = yield* run((tm) =>
          tm.responses.create({ model: "m", input: "Say hello.", max_output_tokens: 50 })
        )
        assert.strictEqual(mock.seen[0].url, `${surface.base}/responses`)
        assert.deepStrictEqual(mock.seen[0].json, { model: "m", input: "Say hello.", max_output_tokens: 50 })
        assert.strictEqual(result.output_text, "Hello!")
        assert.strictEqual(result.usage?.input_tokens, 5)
        assert.strictEqual(result.usage?.output_tokens, 2)
        assert.strictEqual(result.usage?.total_tokens, 7)
        const message = result.output[1]
        assert.strictEqual(message.type, "message")
        assert.strictEqual((result as any).instructions, null)
      }))

    it.effect("responses.create with native usage", () =>
      Effect.gen(function*() {
        const { run } = surface.provide(() =>
          json(F.response("Hi", {
            input_tokens: 9,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: 3,
            output_tokens_details: { reasoning_tokens: 1 }
          }))
        )
        const result = yield* run((tm) => tm.responses.create({ model: "m", input: "x" }))
        assert.strictEqual(result.usage?.input_tokens, 9)
        assert.strictEqual(result.usage?.output_tokens, 3)
        assert.strictEqual(result.usage?.total_tokens, 12)
      }))

    it.effect("models.list", () =>
      Effect.gen(function*() {
        const { mock, run } = surface.provide(() => json(F.models))
        const result = yield* run((tm) => tm.models.list())
        assert.strictEqual(mock.seen[0].method, "GET")
        assert.strictEqual(mock.seen[0].url, `${surface.base}/models`)
        headersOf(mock.seen[0].headers, false)
        assert.strictEqual(mock.seen[0].body, undefined)
        assert.strictEqual(result.data[0].id, "openai/gpt-oss-120b")
        assert.strictEqual(result.data[0].max_model_len, 131072)
      }))

    it.effect("tokenize.create, prompt form and messages form", () =>
      Effect.gen(function*() {
        const { mock, run } = surface.provide((request) =>
          json({
            count: request.json.prompt ? 2 : 9,
            max_model_len: 131072,
            tokens: request.json.prompt ? [13225, 2375] : [1, 2, 3, 4, 5, 6, 7, 8, 9],
            token_strs: null
          })
        )
        const prompt = yield* run((tm) => tm.tokenize.create({ model: "m", prompt: "Hello world" }))
        const messages = yield* run((tm) =>
          tm.tokenize.create({ model: "m", messages: [{ role: "user", content: "Hi" }], add_generation_prompt: true })
        )
        assert.strictEqual(mock.seen[0].url, `${surface.root}/tokenize`)
        headersOf(mock.seen[0].headers, true)
        assert.deepStrictEqual(mock.seen[0].json, { model: "m", prompt: "Hello world" })
        assert.deepStrictEqual(mock.seen[1].json, {
          model: "m",
          messages: [{ role: "user", content: "Hi" }],
          add_generation_prompt: true
        })
        assert.deepStrictEqual(prompt.tokens, [13225, 2375])
        assert.strictEqual(messages.count, 9)
      }))

    it.effect("detokenize.create", () =>
      Effect.gen(function*() {
        const { mock, run } = surface.provide(() => json({ prompt: "Hello world" }))
        const result = yield* run((tm) => tm.detokenize.create({ model: "m", tokens: [13225, 2375] }))
        assert.strictEqual(mock.seen[0].url, `${surface.root}/detokenize`)
        assert.deepStrictEqual(mock.seen[0].json, { model: "m", tokens: [13225, 2375] })
        assert.strictEqual(result.prompt, "Hello world")
      }))

    it.effect("health.get: an empty 200 is healthy; a JSON status is kept", () =>
      Effect.gen(function*() {
        const { mock, run } = surface.provide((_, n) =>
          n === 1 ? new Response(null, { status: 200 }) : json({ status: "degraded" })
        )
        const empty = yield* run((tm) => tm.health.get())
        const status = yield* run((tm) => tm.health.get())
        assert.strictEqual(mock.seen[0].method, "GET")
        assert.strictEqual(mock.seen[0].url, `${surface.root}/health`)
        headersOf(mock.seen[0].headers, false)
        assert.strictEqual(empty.status, "ok")
        assert.strictEqual(status.status, "degraded")
      }))

    it.effect("version.get", () =>
      Effect.gen(function*() {
        const { mock, run } = surface.provide(() => json({ version: "0.27.1" }))
        const result = yield* run((tm) => tm.version.get())
        assert.strictEqual(mock.seen[0].url, `${surface.root}/version`)
        assert.strictEqual(result.version, "0.27.1")
      }))

    it.effect("withRawResponse gives status, headers, the JSON payload and the parsed value on demand", () =>
      Effect.gen(function*() {
        const { run } = surface.provide(() =>
          json(F.chatCompletion("<think>hidden</think>\n\nshown"), { headers: { "x-request-id": "req-1" } })
        )
        const raw = yield* run((tm) =>
          tm.chat.completions.withRawResponse.create({ model: "m", messages: [{ role: "user", content: "x" }] })
        )
        assert.strictEqual(raw.status, 200)
        assert.strictEqual(raw.requestId, "req-1")
        assert.strictEqual(raw.headers["content-type"], "application/json")
        assert.strictEqual((raw.json as any).choices[0].message.content, "<think>hidden</think>\n\nshown")
        const parsed = yield* raw.parse
        assert.strictEqual(parsed.choices[0].message.content, "shown")
        assert.strictEqual(parsed.choices[0].message.reasoning, "hidden")
        const models = yield* run((tm) => tm.models.withRawResponse.list())
        assert.strictEqual(models.status, 200)
        const health = yield* run((tm) => tm.health.withRawResponse.get())
        assert.strictEqual(health.status, 200)
      }))
  })
}

describe("chat completion normalisation", () => {
  const run = (message: Record<string, unknown>, stripThinking?: boolean) => {
    const mock = mockTransport(() => json(F.chatCompletion(message.content as string | null, message)))
    return Effect.flatMap(
      Serverless,
      (tm) => tm.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] })
    )
      .pipe(Effect.provide(ServerlessLayer({ apiKey: key, stripThinking }).pipe(Layer.provide(mock.layer))))
  }

  it.effect("reasoning_content is read as reasoning", () =>
    Effect.gen(function*() {
      const result = yield* run({ content: "4", reasoning_content: "2+2" })
      assert.strictEqual(result.choices[0].message.reasoning, "2+2")
      assert.strictEqual(result.choices[0].message.content, "4")
    }))

  it.effect("a leaked leading <think> block moves to reasoning, joined after wire reasoning", () =>
    Effect.gen(function*() {
      const result = yield* run({ content: "<think>step one</think>\n\nAnswer.", reasoning: "wire" })
      assert.strictEqual(result.choices[0].message.content, "Answer.")
      assert.strictEqual(result.choices[0].message.reasoning, "wire\nstep one")
    }))

  it.effect("an unclosed <think> makes the rest reasoning and content empty", () =>
    Effect.gen(function*() {
      const result = yield* run({ content: "<think>truncated thou" })
      assert.strictEqual(result.choices[0].message.content, "")
      assert.strictEqual(result.choices[0].message.reasoning, "truncated thou")
    }))

  it.effect("stripThinking: false leaves content untouched", () =>
    Effect.gen(function*() {
      const result = yield* run({ content: "<think>x</think>y" }, false)
      assert.strictEqual(result.choices[0].message.content, "<think>x</think>y")
    }))

  it.effect("tool calls are decoded, content null", () =>
    Effect.gen(function*() {
      const result = yield* run({
        content: null,
        tool_calls: [{
          id: "chatcmpl-tool-1",
          type: "function",
          function: { name: "lookup_weather", arguments: "{\"city\": \"Hanoi\"}" }
        }]
      })
      const message = result.choices[0].message
      assert.strictEqual(message.content, null)
      assert.strictEqual(message.tool_calls?.[0].function.name, "lookup_weather")
      assert.deepStrictEqual(JSON.parse(message.tool_calls![0].function.arguments), { city: "Hanoi" })
    }))

  it.effect("tools and tool_choice go on the wire as given", () =>
    Effect.gen(function*() {
      const mock = mockTransport(() => json(F.chatCompletion("ok")))
      const tools = [{
        type: "function" as const,
        function: {
          name: "lookup_weather",
          description: "Look up weather for a city.",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
        }
      }]
      yield* Effect.flatMap(Serverless, (tm) =>
        tm.chat.completions.create({
          model: "m",
          messages: [{ role: "user", content: "Weather in Hanoi?" }],
          tools,
          tool_choice: "auto",
          response_format: { type: "json_object" }
        })).pipe(Effect.provide(ServerlessLayer({ apiKey: key }).pipe(Layer.provide(mock.layer))))
      assert.deepStrictEqual(mock.seen[0].json.tools, tools)
      assert.strictEqual(mock.seen[0].json.tool_choice, "auto")
      assert.deepStrictEqual(mock.seen[0].json.response_format, { type: "json_object" })
    }))
})
