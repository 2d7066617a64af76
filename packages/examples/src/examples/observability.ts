import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { ConsoleMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { ChatStream, Cost, Serverless, Usage } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

// Spans and metrics to the console through @effect/opentelemetry (swap the console exporters for OTLP ones to send
// them to a collector), and what the calls cost at a pricing table of your own.
const telemetry = NodeSdk.layer(() => ({
  resource: { serviceName: "tensormesh-effect-example" },
  spanProcessor: new SimpleSpanProcessor(new ConsoleSpanExporter()),
  metricReader: new PeriodicExportingMetricReader({
    exporter: new ConsoleMetricExporter(),
    exportIntervalMillis: 60_000
  })
}))

export const observability: Example = {
  name: "observability",
  title: "OpenTelemetry spans and metrics (console exporters), cache hits and cost",
  program: Effect.gen(function*() {
    const tm = yield* Serverless
    const { model } = yield* Target
    const pricing: Cost.Pricing = { [model]: { input: 0.5, cachedInput: 0.05, output: 1.5 } }
    const costs = yield* Cost.tracker(pricing)
    const request = {
      model,
      messages: [{ role: "user" as const, content: "Summarise the Tensormesh prefix cache in one sentence." }]
    }
    const first = yield* tm.chat.completions.create(request)
    // the same prompt again: its prefix is served from the cache
    const second = yield* ChatStream.accumulate(tm.chat.completions.stream(request))
    for (const [label, completion] of [["create", first], ["stream", second]] as const) {
      yield* costs.add(completion)
      const info = Usage.cacheInfo(completion)
      yield* Console.log(`${label}: ${info.promptTokens} prompt tokens, ${info.cachedTokens ?? 0} from the cache`)
    }
    const total = yield* costs.total
    yield* Console.log(`cost: ${total.cost.toFixed(8)}, saved by the cache: ${total.savings.toFixed(8)}`)
  }).pipe(Effect.provide(telemetry))
}
