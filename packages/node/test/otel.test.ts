// The SDK's spans and metrics through @effect/opentelemetry into the real OpenTelemetry SDK (in-memory span
// exporter, a pulled metric reader), against the local server on both surfaces.
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { assert, describe, it } from "@effect/vitest"
import { DataPointType, type HistogramMetricData, MetricReader, type ResourceMetrics } from "@opentelemetry/sdk-metrics"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { ChatStream, OnDemand, Serverless } from "@tensormesh-effect/core"
import { ConfigProvider, Effect, Layer, Stream } from "effect"
import * as LocalServer from "../src/LocalServer.js"

const KEY = "ak-OTEL-test-key-7d1e-never-exported"
const USER_ID = "5e0d3c2b-1a49-4f8e-9d7c-6b5a4f3e2d1c"
const PROMPT = "Tell me about the secret otter plans"
const ECHO = "tensormesh/echo"

class PulledReader extends MetricReader {
  protected override onForceFlush() {
    return Promise.resolve()
  }
  protected override onShutdown() {
    return Promise.resolve()
  }
}

const telemetry = () => {
  const spans = new InMemorySpanExporter()
  const reader = new PulledReader()
  const layer = NodeSdk.layer(() => ({
    resource: { serviceName: "tensormesh-effect-test" },
    spanProcessor: new SimpleSpanProcessor(spans),
    metricReader: reader
  }))
  const metrics = Effect.promise(() => reader.collect()).pipe(Effect.map(({ resourceMetrics }) => resourceMetrics))
  return { spans, layer, metrics }
}

/** The histogram points named `name` whose attributes include `tags`. */
const histogramPoints = (metrics: ResourceMetrics, name: string, tags: Record<string, string>) =>
  metrics.scopeMetrics.flatMap((scope) => scope.metrics)
    .filter((m): m is HistogramMetricData => m.descriptor.name === name && m.dataPointType === DataPointType.HISTOGRAM)
    .flatMap((m) => m.dataPoints)
    .filter((p) => Object.entries(tags).every(([key, value]) => p.attributes[key] === value))

const histogramSum = (metrics: ResourceMetrics, name: string, tags: Record<string, string>) =>
  histogramPoints(metrics, name, tags).reduce((sum, p) => sum + (p.value.sum ?? 0), 0)

const attrs = (span: ReadableSpan) => span.attributes as Record<string, unknown>

const everything = (spans: ReadonlyArray<ReadableSpan>, metrics: ResourceMetrics) =>
  JSON.stringify({
    spans: spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
    metrics: metrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.map((m) => ({ name: m.descriptor.name, points: m.dataPoints.map((p) => p.attributes) }))
    )
  })

describe("OpenTelemetry export", () => {
  it.scopedLive("serverless: spans per route, parent/child, stream timing, token histograms, no secrets", () =>
    Effect.gen(function*() {
      const { layer, metrics, spans } = telemetry()
      const delay = 30
      const context = yield* Layer.build(
        Layer.merge(
          LocalServer.serverlessLayer({ apiKeys: [KEY], tokenDelay: `${delay} millis` }),
          layer
        )
      )
      const before = yield* Effect.provide(metrics, context)
      const usages = yield* Effect.gen(function*() {
        const tm = yield* Serverless
        const created = yield* tm.chat.completions.create({
          model: ECHO,
          messages: [{ role: "user", content: PROMPT }]
        })
        // the server paces every frame after its first, here a keep-alive comment: no value comes before the delay
        const streamed = yield* ChatStream.accumulate(
          tm.chat.completions.stream({ model: ECHO, messages: [{ role: "user", content: PROMPT }] }, {
            headers: { "x-tensormesh-fault": "ping" }
          })
        )
        const completion = yield* tm.completions.create({ model: ECHO, prompt: PROMPT, max_tokens: 4 })
        yield* tm.models.list()
        return [created.usage!, streamed.usage!, completion.usage!]
      }).pipe(Effect.withSpan("app"), Effect.provide(context))
      const finished = spans.getFinishedSpans()
      const app = finished.find((s) => s.name === "app")!
      const sdk = finished.filter((s) => s.name !== "app")
      assert.deepStrictEqual(sdk.map((s) => s.name), [
        `chat ${ECHO}`,
        `chat ${ECHO}`,
        `text_completion ${ECHO}`,
        "list_models"
      ])
      for (const span of sdk) {
        assert.strictEqual(span.kind, 2 /* CLIENT */)
        assert.strictEqual(span.parentSpanContext?.spanId, app.spanContext().spanId)
        assert.strictEqual(attrs(span)["gen_ai.system"], "tensormesh")
        assert.strictEqual(attrs(span)["tensormesh.surface"], "serverless")
        assert.strictEqual(attrs(span)["server.address"], "127.0.0.1")
      }
      const [create, stream, completion] = sdk
      assert.strictEqual(attrs(create)["gen_ai.usage.input_tokens"], usages[0].prompt_tokens)
      assert.strictEqual(attrs(create)["gen_ai.usage.output_tokens"], usages[0].completion_tokens)
      // the SDK sets a string array; @effect/opentelemetry 0.64 exports non-primitive attributes as JSON text
      assert.deepStrictEqual(JSON.parse(String(attrs(create)["gen_ai.response.finish_reasons"])), ["stop"])
      assert.strictEqual(attrs(stream)["tensormesh.method"], "chat.completions.stream")
      assert.strictEqual(attrs(stream)["gen_ai.usage.output_tokens"], usages[1].completion_tokens)
      assert.isAtLeast(attrs(stream)["gen_ai.response.time_to_first_chunk"] as number, (delay - 2) / 1000)
      assert.strictEqual(attrs(completion)["gen_ai.request.max_tokens"], 4)
      // the repeated prompt hit the server's prefix cache
      const cached = (span: ReadableSpan) => attrs(span)["tensormesh.usage.cached_tokens"] as number
      assert.strictEqual(cached(create), 0)
      assert.isAbove(cached(stream), 0)

      const after = yield* Effect.provide(metrics, context)
      const chatTags = { "gen_ai.operation.name": "chat", "gen_ai.request.model": ECHO }
      const delta = (name: string, tags: Record<string, string>) =>
        histogramSum(after, name, tags) - histogramSum(before, name, tags)
      assert.strictEqual(
        delta("gen_ai.client.token.usage", { ...chatTags, "gen_ai.token.type": "input" }),
        usages[0].prompt_tokens + usages[1].prompt_tokens
      )
      assert.strictEqual(
        delta("gen_ai.client.token.usage", { ...chatTags, "gen_ai.token.type": "output" }),
        usages[0].completion_tokens + usages[1].completion_tokens
      )
      assert.strictEqual(
        delta("gen_ai.client.token.usage", {
          "gen_ai.operation.name": "text_completion",
          "gen_ai.token.type": "input"
        }),
        usages[2].prompt_tokens
      )
      assert.isAtLeast(delta("gen_ai.client.operation.time_to_first_chunk", chatTags), (delay - 2) / 1000)
      const buckets = histogramPoints(after, "gen_ai.client.token.usage", chatTags)[0].value.buckets.boundaries
      assert.deepStrictEqual(buckets.slice(0, 4), [1, 4, 16, 64])
      const text = everything(finished, after)
      assert.notInclude(text, KEY)
      assert.notInclude(text, PROMPT)
      assert.notInclude(text, "otter")
    }))

  it.scopedLive("on-demand: error.type per error family, the opt-in names, no user id", () =>
    Effect.gen(function*() {
      const { layer, spans } = telemetry()
      const context = yield* Layer.build(Layer.merge(
        LocalServer.onDemandLayer({ apiKeys: [KEY], userIds: [USER_ID], client: { maxRetries: 0 } }).pipe(
          Layer.provide(Layer.setConfigProvider(
            ConfigProvider.fromMap(new Map([["OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental"]]))
          ))
        ),
        layer
      ))
      const chat = (headers?: Record<string, string>) =>
        Effect.flatMap(OnDemand, (tm) =>
          tm.chat.completions.create(
            { model: ECHO, messages: [{ role: "user", content: PROMPT }] },
            headers === undefined ? undefined : { headers }
          )).pipe(Effect.flip, Effect.provide(context))
      const limited = yield* chat({ "x-tensormesh-fault": "status=429" })
      const unavailable = yield* chat({ "x-tensormesh-fault": "status=503" })
      const cut = yield* Effect.flatMap(OnDemand, (tm) =>
        Stream.runDrain(tm.chat.completions.stream(
          { model: ECHO, messages: [{ role: "user", content: PROMPT }] },
          { headers: { "x-tensormesh-fault": "cut-after-chunks=1" } }
        ))).pipe(Effect.flip, Effect.provide(context))
      const invalid = yield* Effect.flatMap(OnDemand, (tm) =>
        tm.chat.completions.create({ model: ECHO, messages: [] } as any)).pipe(Effect.flip, Effect.provide(context))
      const types = spans.getFinishedSpans().map((s) =>
        attrs(s)["error.type"]
      )
      assert.deepStrictEqual(types, [limited.reason, unavailable.reason, cut.reason, invalid.reason])
      assert.deepStrictEqual(types, ["RateLimited", "Unavailable", "StreamTruncated", invalid.reason])
      for (const span of spans.getFinishedSpans()) {
        assert.strictEqual(attrs(span)["tensormesh.surface"], "on-demand")
        assert.strictEqual(attrs(span)["gen_ai.provider.name"], "tensormesh")
        assert.isUndefined(attrs(span)["gen_ai.system"])
        assert.strictEqual(span.status.code, 2 /* ERROR */)
      }
      const text = JSON.stringify(spans.getFinishedSpans().map((s) => [s.attributes, s.events, s.status]))
      assert.notInclude(text, USER_ID)
      assert.notInclude(text, KEY)
    }))
})
