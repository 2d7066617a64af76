// Cost and cache savings, checked by hand on fixed usage; the cache information of responses.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { ChatStream, Cost, Serverless, ServerlessLayer, Usage } from "../src/index.js"
import { chatCompletion, chunk, KEY, response } from "./support/fixtures.js"
import { data, json, mockTransport, sse } from "./support/mock.js"

const pricing: Cost.Pricing = {
  "openai/gpt-oss-120b": { input: 2, cachedInput: 0.5, output: 8 },
  "m": { input: 1, output: 3 }
}

describe("Cost", () => {
  it("a chat completion: 16 uncached × $2, 64 cached × $0.5, 12 out × $8 per million", () => {
    const breakdown = Option.getOrThrow(Cost.of(pricing, chatCompletion("x")))
    assert.strictEqual(breakdown.inputTokens, 80)
    assert.strictEqual(breakdown.cachedInputTokens, 64)
    assert.strictEqual(breakdown.outputTokens, 12)
    assert.closeTo(breakdown.inputCost, 32e-6, 1e-15)
    assert.closeTo(breakdown.cachedInputCost, 32e-6, 1e-15)
    assert.closeTo(breakdown.outputCost, 96e-6, 1e-15)
    assert.closeTo(breakdown.cost, 160e-6, 1e-15)
    // 64 × (2 − 0.5) per million
    assert.closeTo(breakdown.savings, 96e-6, 1e-15)
  })

  it("a Responses usage; no cached price means no discount; unknown models are not priced", () => {
    const breakdown = Option.getOrThrow(
      Cost.of(
        pricing,
        response("x", { input_tokens: 1000, output_tokens: 500, input_tokens_details: { cached_tokens: 400 } })
      )
    )
    // 600 × 1 + 400 × 1 + 500 × 3 per million
    assert.closeTo(breakdown.cost, 2500e-6, 1e-15)
    assert.strictEqual(breakdown.savings, 0)
    assert.isTrue(Option.isNone(Cost.of(pricing, { model: "other", usage: { prompt_tokens: 1 } })))
    assert.isTrue(Option.isNone(Cost.of(pricing, { model: "m", usage: null })))
    assert.isTrue(Option.isNone(Cost.of(pricing, { model: "toString", usage: { prompt_tokens: 1 } })))
  })

  it("hostile usage: negative or non-finite counts are 0, cached never exceeds the input", () => {
    const breakdown = Cost.ofUsage({ input: 1, cachedInput: 0, output: 1 }, {
      prompt_tokens: 10,
      completion_tokens: -5,
      prompt_tokens_details: { cached_tokens: 1e9 }
    })
    assert.strictEqual(breakdown.cachedInputTokens, 10)
    assert.strictEqual(breakdown.outputTokens, 0)
    assert.strictEqual(breakdown.cost, 0)
    assert.closeTo(breakdown.savings, 10e-6, 1e-15)
  })

  it.effect("a tracker: running totals overall and by model, unpriced counted", () =>
    Effect.gen(function*() {
      const tracker = yield* Cost.tracker(pricing)
      yield* tracker.add(chatCompletion("x"))
      yield* tracker.add(chatCompletion("y"))
      yield* tracker.add({ model: "m", usage: { prompt_tokens: 100, completion_tokens: 10 } })
      yield* tracker.add({ model: "nope", usage: { prompt_tokens: 100 } })
      const total = yield* tracker.total
      assert.strictEqual(total.calls, 4)
      assert.strictEqual(total.unpriced, 1)
      assert.strictEqual(total.inputTokens, 260)
      // 2 × 160 + (100 × 1 + 10 × 3) per million
      assert.closeTo(total.cost, 450e-6, 1e-15)
      assert.closeTo(total.savings, 192e-6, 1e-15)
      assert.closeTo(total.byModel["openai/gpt-oss-120b"].cost, 320e-6, 1e-15)
      assert.closeTo(total.byModel["m"].cost, 130e-6, 1e-15)
      yield* tracker.reset
      assert.strictEqual((yield* tracker.total).calls, 0)
    }))

  it.effect("a stream's accumulated usage through the client", () =>
    Effect.gen(function*() {
      const mock = mockTransport(() =>
        sse([
          data(chunk({ role: "assistant", content: "hi" })),
          data({
            ...chunk({}, "stop"),
            model: "m",
            usage: {
              prompt_tokens: 40,
              completion_tokens: 2,
              total_tokens: 42,
              prompt_tokens_details: { cached_tokens: 32 }
            }
          }),
          "data: [DONE]\n\n"
        ])
      )
      const layer = ServerlessLayer({ baseUrl: "https://x.test/v1", apiKey: Redacted.make(KEY) }).pipe(
        Layer.provide(mock.layer)
      )
      const completion = yield* Effect.flatMap(
        Serverless,
        (tm) =>
          ChatStream.accumulate(tm.chat.completions.stream({ model: "m", messages: [{ role: "user", content: "q" }] }))
      ).pipe(Effect.provide(layer))
      const breakdown = Option.getOrThrow(
        Cost.of({ [completion.model]: { input: 1, cachedInput: 0.25, output: 4 } }, completion)
      )
      // 8 × 1 + 32 × 0.25 + 2 × 4 per million
      assert.closeTo(breakdown.cost, 24e-6, 1e-15)
      assert.closeTo(breakdown.savings, 24e-6, 1e-15)
      assert.strictEqual(Usage.cacheInfo(completion).cachedTokens, 32)
    }))
})

describe("Usage.cacheInfo", () => {
  it.effect("cached tokens and LMCache's cached_token_stats of a decoded completion", () =>
    Effect.gen(function*() {
      const mock = mockTransport(() => json(chatCompletion("x")))
      const layer = ServerlessLayer({ baseUrl: "https://x.test/v1", apiKey: Redacted.make(KEY) }).pipe(
        Layer.provide(mock.layer)
      )
      const completion = yield* Effect.flatMap(
        Serverless,
        (tm) => tm.chat.completions.create({ model: "m", messages: [{ role: "user", content: "q" }] })
      ).pipe(Effect.provide(layer))
      const info = Usage.cacheInfo(completion)
      assert.strictEqual(info.promptTokens, 80)
      assert.strictEqual(info.cachedTokens, 64)
      assert.strictEqual(info.vllmCachedTokens, 0)
      assert.strictEqual(info.lmcacheCachedTokens, 64)
    }))

  it("absent or malformed stats are undefined; other fields are kept", () => {
    assert.isUndefined(Usage.cacheInfo({}).cachedTokens)
    assert.isUndefined(
      Usage.cacheInfo({ kv_transfer_params: { cached_token_stats: { num_lmcache_cached_tokens: -1 } } }).stats
    )
    assert.isUndefined(Usage.cacheInfo({ kv_transfer_params: "x" }).stats)
    const info = Usage.cacheInfo({
      kv_transfer_params: { cached_token_stats: { num_lmcache_cached_tokens: 3, num_remote_cached_tokens: 2 } }
    })
    assert.strictEqual(info.lmcacheCachedTokens, 3)
    assert.strictEqual(info.stats?.num_remote_cached_tokens, 2)
  })
})
