import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import type * as Tracer from "effect/Tracer"
import * as Telemetry from "../Telemetry.js"
import type { Handler } from "./events.js"
import type { Settings } from "./settings.js"

// The OpenTelemetry GenAI semantic conventions for the spans of calls (client inference spans): names, request and
// response attributes, `error.type`. By default the names of the conventions v1.36 (`gen_ai.system`); with
// `OTEL_SEMCONV_STABILITY_OPT_IN` holding `gen_ai_latest_experimental`, the latest ones (`gen_ai.provider.name`,
// `gen_ai.usage.cache_read.input_tokens`). Message contents are never recorded.

/** @internal */
export const PROVIDER = "tensormesh"

/** @internal */
export const OPT_IN_VARIABLE = "OTEL_SEMCONV_STABILITY_OPT_IN"

/**
 * Whether an `OTEL_SEMCONV_STABILITY_OPT_IN` value (a comma-separated list) opts in to the latest GenAI names.
 *
 * @internal
 */
export const latestConventions = (value: string | undefined): boolean =>
  value !== undefined && value.split(",").some((entry) => entry.trim() === "gen_ai_latest_experimental")

/**
 * The `gen_ai.operation.name` of an endpoint, by its descriptor name: the conventions' names for inference, the
 * route's own for the others.
 *
 * @internal
 */
export const operationOf = (name: string): string => {
  switch (name) {
    case "chat.completions":
    case "responses":
      return "chat"
    case "completions":
      return "text_completion"
    case "models":
      return "list_models"
    default:
      return name
  }
}

/** `server.address` and `server.port` of an API base. */
const serverOf = (apiBase: string): { readonly address: string; readonly port: number } | undefined => {
  try {
    const url = new URL(apiBase)
    const port = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80
    return { address: url.hostname, port }
  } catch {
    return undefined
  }
}

/** Request fields recorded as `gen_ai.request.*` (numbers only; `stop` as a list). */
const REQUEST_NUMBERS: ReadonlyArray<readonly [string, string]> = [
  ["temperature", "gen_ai.request.temperature"],
  ["top_p", "gen_ai.request.top_p"],
  ["top_k", "gen_ai.request.top_k"],
  ["seed", "gen_ai.request.seed"],
  ["frequency_penalty", "gen_ai.request.frequency_penalty"],
  ["presence_penalty", "gen_ai.request.presence_penalty"]
]

/**
 * What an endpoint's spans share, computed once per endpoint: the operation, the method and the fixed attributes.
 *
 * @internal
 */
export interface SpanTemplate {
  readonly operation: string
  readonly latest: boolean
  readonly fixed: Readonly<Record<string, unknown>>
  /** The metric labels without a model, and with each model seen (bounded). */
  readonly labels: ReadonlyArray<MetricLabel.MetricLabel>
  readonly byModel: Map<string, ReadonlyArray<MetricLabel.MetricLabel>>
}

/** How many models' label sets an endpoint keeps (more are built per call). */
const MAX_MODEL_LABELS = 256

/** @internal */
export const labelsOf = (template: SpanTemplate, model: string | undefined): ReadonlyArray<MetricLabel.MetricLabel> => {
  if (model === undefined) return template.labels
  let labels = template.byModel.get(model)
  if (labels === undefined) {
    labels = [...template.labels, MetricLabel.make("gen_ai.request.model", model)]
    if (template.byModel.size < MAX_MODEL_LABELS) template.byModel.set(model, labels)
  }
  return labels
}

/** @internal */
export const spanTemplate = (settings: Settings, name: string): SpanTemplate => {
  const operation = operationOf(name)
  const latest = settings.latestConventions
  const fixed: Record<string, unknown> = {
    "gen_ai.operation.name": operation,
    [latest ? "gen_ai.provider.name" : "gen_ai.system"]: PROVIDER,
    "tensormesh.surface": settings.surface
  }
  const server = serverOf(settings.apiBase)
  if (server !== undefined) {
    fixed["server.address"] = server.address
    fixed["server.port"] = server.port
  }
  const labels = Object.entries(fixed).map(([key, value]) => MetricLabel.make(key, String(value)))
  return { operation, latest, fixed, labels, byModel: new Map() }
}

/**
 * The span of one call: named `{gen_ai.operation.name} {gen_ai.request.model}` (the operation alone without a
 * model), with the request's parameters (never its messages or prompt).
 *
 * @internal
 */
export const requestSpan = (
  template: SpanTemplate,
  method: string,
  request: unknown
): {
  readonly name: string
  readonly attributes: Record<string, unknown>
  readonly labels: ReadonlyArray<MetricLabel.MetricLabel>
} => {
  const attributes: Record<string, unknown> = { ...template.fixed, "tensormesh.method": method }
  if (typeof request !== "object" || request === null) {
    return { name: template.operation, attributes, labels: template.labels }
  }
  const r = request as Record<string, unknown>
  const model = typeof r.model === "string" ? r.model : undefined
  if (model !== undefined) attributes["gen_ai.request.model"] = model
  const maxTokens = r.max_tokens ?? r.max_completion_tokens ?? r.max_output_tokens
  if (typeof maxTokens === "number") attributes["gen_ai.request.max_tokens"] = maxTokens
  for (const [field, key] of REQUEST_NUMBERS) {
    const value = r[field]
    if (typeof value === "number") attributes[key] = value
  }
  if (typeof r.n === "number" && r.n !== 1) attributes["gen_ai.request.choice.count"] = r.n
  const stop = r.stop
  if (typeof stop === "string") attributes["gen_ai.request.stop_sequences"] = [stop]
  else if (Array.isArray(stop) && stop.every((s) => typeof s === "string")) {
    attributes["gen_ai.request.stop_sequences"] = stop
  }
  return {
    name: model === undefined ? template.operation : `${template.operation} ${model}`,
    attributes,
    labels: labelsOf(template, model)
  }
}

/**
 * Token counts of a usage object, whichever route it comes from (chat and completions: `prompt_tokens`,
 * `completion_tokens`, `prompt_tokens_details.cached_tokens`; responses: `input_tokens`, `output_tokens`,
 * `input_tokens_details.cached_tokens`).
 *
 * @internal
 */
export interface Tokens {
  readonly input: number | undefined
  readonly output: number | undefined
  readonly cached: number | undefined
}

/** @internal */
export const tokensOf = (usage: unknown): Tokens | undefined => {
  if (typeof usage !== "object" || usage === null) return undefined
  const u = usage as Record<string, any>
  const input = u.input_tokens ?? u.prompt_tokens
  const output = u.output_tokens ?? u.completion_tokens
  const cached = u.prompt_tokens_details?.cached_tokens ?? u.input_tokens_details?.cached_tokens
  return {
    input: typeof input === "number" ? input : undefined,
    output: typeof output === "number" ? output : undefined,
    cached: typeof cached === "number" ? cached : undefined
  }
}

/** @internal */
export const annotateTokens = (span: Tracer.Span, latest: boolean, tokens: Tokens): void => {
  if (tokens.input !== undefined) span.attribute("gen_ai.usage.input_tokens", tokens.input)
  if (tokens.output !== undefined) span.attribute("gen_ai.usage.output_tokens", tokens.output)
  if (tokens.cached !== undefined) {
    span.attribute(latest ? "gen_ai.usage.cache_read.input_tokens" : "tensormesh.usage.cached_tokens", tokens.cached)
  }
}

/** The response itself, or the `response` a Responses lifecycle event holds. */
const bodyOf = (value: unknown): Record<string, any> | undefined => {
  if (typeof value !== "object" || value === null) return undefined
  const v = value as Record<string, any>
  return typeof v.response === "object" && v.response !== null && typeof v.type === "string" ? v.response : v
}

/** The finish reasons of a chat or completion response (its choices'), or of a Responses response (its status). */
const finishReasonsOf = (body: Record<string, any>): Array<string> | undefined => {
  const choices = body.choices
  if (Array.isArray(choices)) {
    let reasons: Array<string> | undefined
    for (const choice of choices) {
      const reason = choice?.finish_reason
      if (typeof reason === "string") (reasons ??= []).push(reason)
    }
    return reasons
  }
  if (body.object === "response") {
    const reason = body.incomplete_details?.reason
    if (typeof reason === "string") return [reason]
    if (body.status === "completed") return ["stop"]
  }
  return undefined
}

/**
 * Records a whole response: `gen_ai.response.id`, `.model`, `.finish_reasons` and the usage.
 *
 * @internal
 */
export const annotateResponse = (span: Tracer.Span, latest: boolean, value: unknown): Tokens | undefined => {
  const body = bodyOf(value)
  if (body === undefined) return undefined
  if (typeof body.id === "string") span.attribute("gen_ai.response.id", body.id)
  if (typeof body.model === "string") span.attribute("gen_ai.response.model", body.model)
  const reasons = finishReasonsOf(body)
  if (reasons !== undefined) span.attribute("gen_ai.response.finish_reasons", reasons)
  const tokens = tokensOf(body.usage)
  if (tokens !== undefined) annotateTokens(span, latest, tokens)
  return tokens
}

/**
 * What a stream's values said, gathered as they pass (a few field reads per value): the first value's time, the
 * response id and model, the finish reasons and the last usage.
 *
 * @internal
 */
export class StreamObserver {
  firstAt: bigint | undefined = undefined
  values = 0
  id: string | undefined = undefined
  model: string | undefined = undefined
  reasons: Array<string> | undefined = undefined
  usage: unknown = undefined

  constructor(readonly clock: Clock.Clock, readonly startedAt: bigint) {}

  observe(value: unknown): void {
    this.values++
    if (this.firstAt === undefined) this.firstAt = this.clock.unsafeCurrentTimeNanos()
    const body = bodyOf(value)
    if (body === undefined) return
    if (this.id === undefined && typeof body.id === "string") this.id = body.id
    if (this.model === undefined && typeof body.model === "string") this.model = body.model
    if (body.usage != null) this.usage = body.usage
    const choices = body.choices
    if (Array.isArray(choices)) {
      for (let i = 0; i < choices.length; i++) {
        const reason = choices[i]?.finish_reason
        if (typeof reason === "string") (this.reasons ??= []).push(reason)
      }
    } else if (body.object === "response") {
      const reasons = finishReasonsOf(body)
      if (reasons !== undefined) this.reasons = reasons
    }
  }

  /** Seconds from the start of the call to the first value. */
  get timeToFirstChunk(): number | undefined {
    return this.firstAt === undefined ? undefined : Number(this.firstAt - this.startedAt) / 1e9
  }

  annotate(span: Tracer.Span, latest: boolean): Tokens | undefined {
    if (this.id !== undefined) span.attribute("gen_ai.response.id", this.id)
    if (this.model !== undefined) span.attribute("gen_ai.response.model", this.model)
    if (this.reasons !== undefined) span.attribute("gen_ai.response.finish_reasons", this.reasons)
    const ttfc = this.timeToFirstChunk
    if (ttfc !== undefined) span.attribute("gen_ai.response.time_to_first_chunk", ttfc)
    const tokens = tokensOf(this.usage)
    if (tokens !== undefined) annotateTokens(span, latest, tokens)
    return tokens
  }
}

/**
 * `error.type` of a failed call: the typed error's `reason` (`RateLimited`, `Timeout`, …), its tag without one, and
 * `_OTHER` for a defect. Interruption (a consumer ending a stream early) is no error.
 *
 * @internal
 */
export const errorTypeOf = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") {
    const error = failure.value as { readonly reason?: unknown; readonly _tag?: unknown }
    if (typeof error?.reason === "string") return error.reason
    if (typeof error?._tag === "string") return error._tag
    return "_OTHER"
  }
  return Cause.isInterruptedOnly(exit.cause) ? undefined : "_OTHER"
}

/**
 * A handler whose values `observer` also sees (the values a read decoded, once each).
 *
 * @internal
 */
export const observing = <A>(handler: Handler<A>, observer: StreamObserver): Handler<A> => (event, out) => {
  const before = out.length
  const signal = handler(event, out)
  for (let i = before; i < out.length; i++) observer.observe(out[i])
  return signal
}

// ---------------------------------------------------------------------------------------------------------------
// metrics
// ---------------------------------------------------------------------------------------------------------------

const inputTokens = Metric.tagged(Telemetry.tokenUsage, "gen_ai.token.type", "input")
const outputTokens = Metric.tagged(Telemetry.tokenUsage, "gen_ai.token.type", "output")
const durationByError = new Map<string, Metric.Metric.Histogram<number>>()
const durationOf = (errorType: string | undefined): Metric.Metric.Histogram<number> => {
  if (errorType === undefined) return Telemetry.operationDuration
  let metric = durationByError.get(errorType)
  if (metric === undefined) {
    metric = Metric.tagged(Telemetry.operationDuration, "error.type", errorType)
    durationByError.set(errorType, metric)
  }
  return metric
}

/** @internal */
export const callStarted: Effect.Effect<void> = Metric.incrementBy(Telemetry.inFlight, 1)

/**
 * The labels of the call running (set around a call, read by the retry loop): only the SDK's own metrics get them,
 * not any other metric updated during the call.
 *
 * @internal
 */
export const currentCallLabels = FiberRef.unsafeMake<ReadonlyArray<MetricLabel.MetricLabel>>([])

/** @internal */
export const retried: Effect.Effect<void> = FiberRef.getWith(
  currentCallLabels,
  (labels) => Effect.labelMetrics(Metric.increment(Telemetry.retries), labels)
)

/**
 * The metrics of one ended call (run inside its labels): in flight down, duration (with `error.type`), tokens, and
 * for a stream its chunk timings.
 *
 * @internal
 */
export const callEnded = (
  startedAt: bigint,
  endedAt: bigint,
  exit: Exit.Exit<unknown, unknown>,
  tokens: Tokens | undefined,
  stream?: StreamObserver | undefined
): Effect.Effect<void> =>
  Effect.suspend(() => {
    const updates: Array<Effect.Effect<void>> = [
      Metric.incrementBy(Telemetry.inFlight, -1),
      Metric.update(durationOf(errorTypeOf(exit)), Number(endedAt - startedAt) / 1e9)
    ]
    if (tokens !== undefined) {
      if (tokens.input !== undefined) updates.push(Metric.update(inputTokens, tokens.input))
      if (tokens.output !== undefined) updates.push(Metric.update(outputTokens, tokens.output))
      if (tokens.cached !== undefined) updates.push(Metric.incrementBy(Telemetry.cachedInputTokens, tokens.cached))
    }
    if (stream !== undefined && stream.firstAt !== undefined) {
      updates.push(Metric.update(Telemetry.timeToFirstChunk, Number(stream.firstAt - startedAt) / 1e9))
      // the time of the stream's end stands for its last value's: no clock read per value
      if (stream.values > 1) {
        updates.push(
          Metric.update(Telemetry.timePerOutputChunk, Number(endedAt - stream.firstAt) / 1e9 / (stream.values - 1))
        )
      }
    }
    return Effect.all(updates, { discard: true })
  })

/**
 * Runs a call (an effect) with its metrics: labelled, counted in flight, its end recorded with the tokens that
 * `tokens` gives then.
 *
 * @internal
 */
export const measured = <A, E, R>(
  labels: ReadonlyArray<MetricLabel.MetricLabel>,
  effect: Effect.Effect<A, E, R>,
  tokens: () => Tokens | undefined
): Effect.Effect<A, E, R> =>
  Effect.clockWith((clock) => {
    const startedAt = clock.unsafeCurrentTimeNanos()
    return Effect.zipRight(
      Effect.labelMetrics(callStarted, labels),
      Effect.onExit(Effect.locally(effect, currentCallLabels, labels), (exit) =>
        Effect.labelMetrics(
          callEnded(startedAt, clock.unsafeCurrentTimeNanos(), exit, Exit.isSuccess(exit) ? tokens() : undefined),
          labels
        ))
    )
  })
