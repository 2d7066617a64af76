// GenAI semantic conventions on the SDK's spans: names, kinds, request and response attributes, `error.type`, the
// `OTEL_SEMCONV_STABILITY_OPT_IN` names, time to first chunk; never a message's content.
import { assert, describe, it } from "@effect/vitest"
import {
  ConfigProvider,
  Effect,
  Fiber,
  Layer,
  Metric,
  MetricLabel,
  type MetricState,
  Redacted,
  Stream,
  TestClock
} from "effect"
import { OnDemand, OnDemandLayer, Serverless, ServerlessLayer } from "../src/index.js"
import { chatCompletion, chunk, KEY, response, textCompletion, USER_ID } from "./support/fixtures.js"
import { data, type Handler, json, mockTransport, sse } from "./support/mock.js"
import { record } from "./support/recorder.js"

const SECRET_PROMPT = "the-prompt-text-never-recorded"
const chatRequest = {
  model: "openai/gpt-oss-120b",
  messages: [{ role: "user" as const, content: SECRET_PROMPT }],
  max_tokens: 32,
  temperature: 0.5,
  top_p: 0.9,
  seed: 7,
  stop: ["END"]
}

const serverless = (handler: Handler, env: ReadonlyArray<readonly [string, string]> = []) => {
  const mock = mockTransport(handler)
  const layer = ServerlessLayer({
    baseUrl: "https://api.example.test:8443/v1",
    apiKey: Redacted.make(KEY),
    maxRetries: 0
  })
    .pipe(Layer.provide(mock.layer), Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(env)))))
  return { mock, layer }
}

describe("GenAI spans", () => {
  it.effect("chat create: client span named `chat {model}`, request and response attributes", () =>
    Effect.gen(function*() {
      const { install, recording } = record()
      const { layer } = serverless(() => json(chatCompletion("hello")))
      yield* Effect.flatMap(Serverless, (tm) => tm.chat.completions.create(chatRequest)).pipe(
        Effect.provide(layer),
        install
      )
      const span = recording.spans.find((s) => s.attributes.get("tensormesh.method") === "chat.completions.create")!
      assert.strictEqual(span.name, "chat openai/gpt-oss-120b")
      assert.strictEqual(span.kind, "client")
      const a = Object.fromEntries(span.attributes)
      assert.deepStrictEqual(a, {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "tensormesh",
        "tensormesh.surface": "serverless",
        "tensormesh.method": "chat.completions.create",
        "server.address": "api.example.test",
        "server.port": 8443,
        "gen_ai.request.model": "openai/gpt-oss-120b",
        "gen_ai.request.max_tokens": 32,
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ["END"],
        "gen_ai.response.id": "chatcmpl-7f3a",
        "gen_ai.response.model": "openai/gpt-oss-120b",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 80,
        "gen_ai.usage.output_tokens": 12,
        "tensormesh.usage.cached_tokens": 64
      })
      assert.notInclude(recording.text(), SECRET_PROMPT)
      assert.notInclude(recording.text(), "hello")
    }))

  it.effect("the opt-in names: gen_ai.provider.name and gen_ai.usage.cache_read.input_tokens", () =>
    Effect.gen(function*() {
      const { install, recording } = record()
      const { layer } = serverless(
        () => json(chatCompletion("hello")),
        [["OTEL_SEMCONV_STABILITY_OPT_IN", "http, gen_ai_latest_experimental"]]
      )
      yield* Effect.flatMap(Serverless, (tm) => tm.chat.completions.create(chatRequest)).pipe(
        Effect.provide(layer),
        install
      )
      const span = recording.spans.find((s) => s.name.startsWith("chat "))!
      assert.strictEqual(span.attributes.get("gen_ai.provider.name"), "tensormesh")
      assert.isFalse(span.attributes.has("gen_ai.system"))
      assert.strictEqual(span.attributes.get("gen_ai.usage.cache_read.input_tokens"), 64)
      assert.isFalse(span.attributes.has("tensormesh.usage.cached_tokens"))
    }))

  it.effect("completions, responses, tokenize and models: operation names", () =>
    Effect.gen(function*() {
      const { install, recording } = record()
      const { layer } = serverless((request) =>
        request.url.endsWith("/completions")
          ? json(textCompletion("x"))
          : request.url.endsWith("/responses")
          ? json(response("x", { input_tokens: 5, output_tokens: 3, input_tokens_details: { cached_tokens: 2 } }))
          : request.url.endsWith("/tokenize")
          ? json({ count: 2, max_model_len: 100, tokens: [1, 2], token_strs: null })
          : json({ object: "list", data: [] })
      )
      yield* Effect.flatMap(Serverless, (tm) =>
        Effect.all([
          tm.completions.create({ model: "m", prompt: SECRET_PROMPT, max_tokens: 2 }),
          tm.responses.create({ model: "m", input: SECRET_PROMPT, max_output_tokens: 9 }),
          tm.tokenize.create({ model: "m", prompt: SECRET_PROMPT }),
          tm.models.list()
        ])).pipe(Effect.provide(layer), install)
      const names = recording.spans.map((s) => s.name)
      assert.deepStrictEqual(names, ["text_completion m", "chat m", "tokenize m", "list_models"])
      const [completion, responses] = recording.spans
      assert.strictEqual(completion.attributes.get("gen_ai.operation.name"), "text_completion")
      assert.deepStrictEqual(completion.attributes.get("gen_ai.response.finish_reasons"), ["length"])
      assert.strictEqual(completion.attributes.get("gen_ai.usage.input_tokens"), 3)
      assert.strictEqual(responses.attributes.get("tensormesh.method"), "responses.create")
      assert.strictEqual(responses.attributes.get("gen_ai.request.max_tokens"), 9)
      assert.strictEqual(responses.attributes.get("gen_ai.response.id"), "resp_4c2")
      assert.deepStrictEqual(responses.attributes.get("gen_ai.response.finish_reasons"), ["stop"])
      assert.strictEqual(responses.attributes.get("gen_ai.usage.output_tokens"), 3)
      assert.strictEqual(responses.attributes.get("tensormesh.usage.cached_tokens"), 2)
      assert.notInclude(recording.text(), SECRET_PROMPT)
    }))

  it.effect("error.type is the error's reason", () =>
    Effect.gen(function*() {
      for (
        const [status, expected] of [[429, "RateLimited"], [401, "Unauthorized"], [400, "BadRequest"], [
          503,
          "Unavailable"
        ]] as const
      ) {
        const { install, recording } = record()
        const { layer } = serverless(() => json({ error: { message: "no" } }, { status }))
        const error = yield* Effect.flatMap(Serverless, (tm) => tm.chat.completions.create(chatRequest)).pipe(
          Effect.flip,
          Effect.provide(layer),
          install
        )
        assert.strictEqual(recording.spans[0].attributes.get("error.type"), error.reason)
        assert.strictEqual(error.reason, expected)
      }
      const { install, recording } = record()
      const { layer } = serverless(() => json(chatCompletion("hello")))
      yield* Effect.flatMap(Serverless, (tm) => tm.chat.completions.create(chatRequest)).pipe(
        Effect.provide(layer),
        install
      )
      assert.isFalse(recording.spans[0].attributes.has("error.type"))
    }))

  it.live("a stream: one span over the whole stream, time to first chunk, the last usage, finish reasons", () =>
    Effect.gen(function*() {
      const { install, recording } = record()
      const delayMs = 60
      const { layer } = serverless(() =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              const encoder = new TextEncoder()
              setTimeout(() => {
                controller.enqueue(encoder.encode(data(chunk({ role: "assistant", content: "hi" }))))
                controller.enqueue(encoder.encode(data(chunk({}, "stop"))))
                controller.enqueue(encoder.encode(data({
                  ...chunk({}),
                  choices: [],
                  usage: {
                    prompt_tokens: 9,
                    completion_tokens: 2,
                    total_tokens: 11,
                    prompt_tokens_details: { cached_tokens: 4 }
                  }
                })))
                controller.enqueue(encoder.encode("data: [DONE]\n\n"))
                controller.close()
              }, delayMs)
            }
          }),
          { headers: { "content-type": "text/event-stream" } }
        )
      )
      yield* Effect.flatMap(Serverless, (tm) => Stream.runDrain(tm.chat.completions.stream(chatRequest))).pipe(
        Effect.provide(layer),
        install
      )
      assert.strictEqual(recording.spans.length, 1)
      const span = recording.spans[0]
      assert.strictEqual(span.name, "chat openai/gpt-oss-120b")
      assert.strictEqual(span.kind, "client")
      assert.strictEqual(span.attributes.get("tensormesh.method"), "chat.completions.stream")
      assert.strictEqual(span.attributes.get("gen_ai.response.id"), "chatcmpl-9b1")
      assert.strictEqual(span.attributes.get("gen_ai.response.model"), "Qwen/Qwen3-30B-A3B")
      assert.deepStrictEqual(span.attributes.get("gen_ai.response.finish_reasons"), ["stop"])
      assert.strictEqual(span.attributes.get("gen_ai.usage.input_tokens"), 9)
      assert.strictEqual(span.attributes.get("gen_ai.usage.output_tokens"), 2)
      assert.strictEqual(span.attributes.get("tensormesh.usage.cached_tokens"), 4)
      const ttfc = span.attributes.get("gen_ai.response.time_to_first_chunk") as number
      assert.isAtLeast(ttfc, (delayMs - 5) / 1000)
      assert.isBelow(ttfc, 10)
      assert.strictEqual(span.exit?._tag, "Success")
    }))

  it.effect("on-demand: the surface attribute; a stream's error sets error.type", () =>
    Effect.gen(function*() {
      const { install, recording } = record()
      const mock = mockTransport(() => sse([data({ error: { message: "boom", code: 500 } })]))
      const layer = OnDemandLayer({
        baseUrl: "http://10.0.0.1/v1",
        userId: USER_ID,
        apiKey: Redacted.make(KEY),
        maxRetries: 0
      }).pipe(Layer.provide(mock.layer))
      yield* Effect.flatMap(OnDemand, (tm) => Stream.runDrain(tm.chat.completions.stream(chatRequest))).pipe(
        Effect.flip,
        Effect.provide(layer),
        install
      )
      const span = recording.spans[0]
      assert.strictEqual(span.attributes.get("tensormesh.surface"), "on-demand")
      assert.strictEqual(span.attributes.get("server.address"), "10.0.0.1")
      assert.strictEqual(span.attributes.get("server.port"), 80)
      assert.strictEqual(span.attributes.get("error.type"), "StreamError")
      assert.notInclude(recording.text(), USER_ID)
      assert.notInclude(recording.text(), KEY)
    }))
})

const metricNamed = (name: string, tags: Record<string, string>) =>
  Effect.map(Metric.snapshot, (pairs) =>
    pairs.filter((pair) =>
      pair.metricKey.name === name &&
      Object.entries(tags).every(([key, value]) => pair.metricKey.tags.some((t) => t.key === key && t.value === value))
    ))

const histogram = (name: string, tags: Record<string, string>) =>
  Effect.map(metricNamed(name, tags), (pairs) => {
    assert.strictEqual(pairs.length, 1, `one ${name} for ${JSON.stringify(tags)}`)
    return pairs[0].metricState as MetricState.MetricState.Histogram
  })

const counter = (name: string, tags: Record<string, string>) =>
  Effect.map(
    metricNamed(name, tags),
    (pairs) =>
      pairs.reduce((sum, pair) => sum + Number((pair.metricState as MetricState.MetricState.Counter<number>).count), 0)
  )

describe("GenAI metrics", () => {
  it.effect("a create: token usage by type, duration, cached tokens, in flight back to 0, labels", () =>
    Effect.gen(function*() {
      const model = "metrics-create-model"
      const { layer } = serverless(() => json({ ...chatCompletion("hello"), model }))
      yield* Effect.flatMap(Serverless, (tm) =>
        Effect.all([
          tm.chat.completions.create({ ...chatRequest, model }),
          tm.chat.completions.create({ ...chatRequest, model })
        ])).pipe(Effect.provide(layer))
      const tags = {
        "gen_ai.request.model": model,
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "tensormesh",
        "tensormesh.surface": "serverless",
        "server.address": "api.example.test",
        "server.port": "8443"
      }
      const input = yield* histogram("gen_ai.client.token.usage", { ...tags, "gen_ai.token.type": "input" })
      assert.strictEqual(input.count, 2)
      assert.strictEqual(input.sum, 160)
      // the conventions' boundaries: 80 tokens fall in the (64, 256] bucket
      assert.deepStrictEqual(input.buckets.find(([bound]) => bound === 64), [64, 0])
      assert.deepStrictEqual(input.buckets.find(([bound]) => bound === 256), [256, 2])
      const output = yield* histogram("gen_ai.client.token.usage", { ...tags, "gen_ai.token.type": "output" })
      assert.strictEqual(output.sum, 24)
      const duration = yield* histogram("gen_ai.client.operation.duration", tags)
      assert.strictEqual(duration.count, 2)
      assert.deepStrictEqual(duration.buckets.map(([bound]) => bound).slice(0, 3), [0.01, 0.02, 0.04])
      assert.strictEqual(yield* counter("tensormesh.client.token.cached_input", tags), 128)
      assert.strictEqual(yield* counter("tensormesh.client.requests.in_flight", tags), 0)
    }))

  it.effect("labels the caller puts on the fiber (Effect.labelMetrics) are added to the SDK's own", () =>
    Effect.gen(function*() {
      const model = "metrics-fiber-labels-model"
      const { layer } = serverless(() => json({ ...chatCompletion("hello"), model }))
      yield* Effect.flatMap(Serverless, (tm) => tm.chat.completions.create({ ...chatRequest, model })).pipe(
        Effect.labelMetrics([MetricLabel.make("tenant", "acme")]),
        Effect.provide(layer)
      )
      const tags = { "gen_ai.request.model": model, "gen_ai.operation.name": "chat", tenant: "acme" }
      assert.strictEqual((yield* histogram("gen_ai.client.operation.duration", tags)).count, 1)
      assert.strictEqual(
        (yield* histogram("gen_ai.client.token.usage", { ...tags, "gen_ai.token.type": "input" })).sum,
        80
      )
      assert.strictEqual(yield* counter("tensormesh.client.requests.in_flight", tags), 0)
      // and a call without them is counted apart
      yield* Effect.flatMap(Serverless, (tm) => tm.chat.completions.create({ ...chatRequest, model })).pipe(
        Effect.provide(layer)
      )
      assert.strictEqual((yield* histogram("gen_ai.client.operation.duration", tags)).count, 1)
      const all = yield* metricNamed("gen_ai.client.operation.duration", { "gen_ai.request.model": model })
      assert.lengthOf(all, 2)
    }))

  it.effect("a failure: duration tagged error.type, retries counted", () =>
    Effect.gen(function*() {
      const model = "metrics-failure-model"
      const mock = mockTransport(() => json({ error: { message: "slow down" } }, { status: 429 }))
      const layer = ServerlessLayer({ baseUrl: "https://x.test/v1", apiKey: Redacted.make(KEY), maxRetries: 2 })
        .pipe(Layer.provide(mock.layer))
      const fiber = yield* Effect.flatMap(Serverless, (tm) => tm.chat.completions.create({ ...chatRequest, model }))
        .pipe(Effect.flip, Effect.provide(layer), Effect.fork)
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "RateLimited")
      assert.strictEqual(mock.seen.length, 3)
      const tags = { "gen_ai.request.model": model, "gen_ai.operation.name": "chat" }
      const failed = yield* histogram("gen_ai.client.operation.duration", { ...tags, "error.type": "RateLimited" })
      assert.strictEqual(failed.count, 1)
      assert.strictEqual(yield* counter("tensormesh.client.retries", tags), 2)
      assert.lengthOf(yield* metricNamed("gen_ai.client.token.usage", tags), 0)
      assert.strictEqual(yield* counter("tensormesh.client.requests.in_flight", tags), 0)
    }))

  it.live("a stream: time to first chunk ≥ the delay, time per chunk, tokens from the last usage", () =>
    Effect.gen(function*() {
      const model = "metrics-stream-model"
      const delayMs = 50
      const { layer } = serverless(() =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              const encoder = new TextEncoder()
              setTimeout(() => {
                for (let i = 0; i < 4; i++) controller.enqueue(encoder.encode(data(chunk({ content: `t${i}` }))))
                controller.enqueue(encoder.encode(data({
                  ...chunk({}, "stop"),
                  usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 }
                })))
                controller.enqueue(encoder.encode("data: [DONE]\n\n"))
                controller.close()
              }, delayMs)
            }
          }),
          { headers: { "content-type": "text/event-stream" } }
        )
      )
      yield* Effect.flatMap(Serverless, (tm) => Stream.runDrain(tm.chat.completions.stream({ ...chatRequest, model })))
        .pipe(Effect.provide(layer))
      const tags = { "gen_ai.request.model": model, "gen_ai.operation.name": "chat" }
      const first = yield* histogram("gen_ai.client.operation.time_to_first_chunk", tags)
      assert.strictEqual(first.count, 1)
      assert.isAtLeast(first.sum, (delayMs - 5) / 1000)
      const perChunk = yield* histogram("gen_ai.client.operation.time_per_output_chunk", tags)
      assert.strictEqual(perChunk.count, 1)
      const input = yield* histogram("gen_ai.client.token.usage", { ...tags, "gen_ai.token.type": "input" })
      assert.strictEqual(input.sum, 20)
      const output = yield* histogram("gen_ai.client.token.usage", { ...tags, "gen_ai.token.type": "output" })
      assert.strictEqual(output.sum, 4)
      const duration = yield* histogram("gen_ai.client.operation.duration", tags)
      assert.isAtLeast(duration.sum, first.sum)
      assert.strictEqual(yield* counter("tensormesh.client.requests.in_flight", tags), 0)
    }))
})
