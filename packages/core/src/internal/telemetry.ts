import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
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
  readonly fixedEntries: ReadonlyArray<readonly [string, unknown]>
  /** The metric labels without a model, and with each model seen (bounded). */
  readonly labels: CallLabels
  readonly byModel: Map<string, CallLabels>
}

/** How many models' label sets an endpoint keeps (more are built per call). */
const MAX_MODEL_LABELS = 256

/** @internal */
export const labelsOf = (template: SpanTemplate, model: string | undefined): CallLabels => {
  if (model === undefined) return template.labels
  let labels = template.byModel.get(model)
  if (labels === undefined) {
    labels = new CallLabels([...template.labels.base, MetricLabel.make("gen_ai.request.model", model)])
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
  const labels = new CallLabels(Object.entries(fixed).map(([key, value]) => MetricLabel.make(key, String(value))))
  return { operation, latest, fixed, fixedEntries: Object.entries(fixed), labels, byModel: new Map() }
}

/**
 * The span of one call: named `{gen_ai.operation.name} {gen_ai.request.model}` (the operation alone without a
 * model), with the request's parameters (never its messages or prompt), put on the span by `annotate` (straight
 * onto the span: an attributes object built per call with these dotted keys costs several µs in V8).
 *
 * @internal
 */
export const requestSpan = (
  template: SpanTemplate,
  method: string,
  request: unknown
): {
  readonly name: string
  readonly annotate: (span: Tracer.Span) => void
  readonly labels: CallLabels
} => {
  const r = typeof request === "object" && request !== null ? request as Record<string, unknown> : undefined
  const model = typeof r?.model === "string" ? r.model : undefined
  return {
    name: model === undefined ? template.operation : `${template.operation} ${model}`,
    annotate: (span) => {
      for (const [key, value] of template.fixedEntries) span.attribute(key, value)
      span.attribute("tensormesh.method", method)
      if (r === undefined) return
      if (model !== undefined) span.attribute("gen_ai.request.model", model)
      const maxTokens = r.max_tokens ?? r.max_completion_tokens ?? r.max_output_tokens
      if (typeof maxTokens === "number") span.attribute("gen_ai.request.max_tokens", maxTokens)
      for (const [field, key] of REQUEST_NUMBERS) {
        const value = r[field]
        if (typeof value === "number") span.attribute(key, value)
      }
      if (typeof r.n === "number" && r.n !== 1) span.attribute("gen_ai.request.choice.count", r.n)
      const stop = r.stop
      if (typeof stop === "string") span.attribute("gen_ai.request.stop_sequences", [stop])
      else if (Array.isArray(stop) && stop.every((s) => typeof s === "string")) {
        span.attribute("gen_ai.request.stop_sequences", stop)
      }
    },
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

const recordOf = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === "object" && u !== null ? u as Record<string, unknown> : undefined

const numberOf = (u: unknown): number | undefined => typeof u === "number" ? u : undefined

/** @internal */
export const tokensOf = (usage: unknown): Tokens | undefined => {
  const u = recordOf(usage)
  if (u === undefined) return undefined
  return {
    input: numberOf(u.input_tokens) ?? numberOf(u.prompt_tokens),
    output: numberOf(u.output_tokens) ?? numberOf(u.completion_tokens),
    cached: numberOf(recordOf(u.prompt_tokens_details)?.cached_tokens) ??
      numberOf(recordOf(u.input_tokens_details)?.cached_tokens)
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

/**
 * The metric label sets of one endpoint and model, built once. Effect finds a metric's entry in its registry once
 * per label array (by identity) and otherwise builds and hashes a key per update, so the arrays are kept.
 *
 * @internal
 */
export class CallLabels {
  readonly input: ReadonlyArray<MetricLabel.MetricLabel>
  readonly output: ReadonlyArray<MetricLabel.MetricLabel>
  private readonly errors = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()

  constructor(readonly base: ReadonlyArray<MetricLabel.MetricLabel>) {
    this.input = [...base, MetricLabel.make("gen_ai.token.type", "input")]
    this.output = [...base, MetricLabel.make("gen_ai.token.type", "output")]
  }

  /** With `error.type` (a reason or tag of the SDK's errors, or `_OTHER`: a small fixed set). */
  error(errorType: string): ReadonlyArray<MetricLabel.MetricLabel> {
    let labels = this.errors.get(errorType)
    if (labels === undefined) {
      labels = [...this.base, MetricLabel.make("error.type", errorType)]
      this.errors.set(errorType, labels)
    }
    return labels
  }
}

/**
 * The span and the metrics of one call, begun in one step and ended in one: in flight up, then at the end the
 * span ended (with `error.type` on failure), in flight down, the duration, the tokens and a stream's chunk timings.
 * Labels the fiber carries (`Effect.labelMetrics` around the call) are added to the call's own.
 *
 * @internal
 */
export class CallRecord {
  readonly clock: Clock.Clock
  readonly startedAt: bigint
  private readonly timing: boolean
  private readonly fiberLabels: ReadonlyArray<MetricLabel.MetricLabel>
  /** The usage the call reported (set by the call as it reads its response). */
  tokens: Tokens | undefined = undefined
  /** Ends what the call has in flight (its exchange), run first when the call ends, however it ends. */
  release: (() => void) | undefined = undefined
  private ended = false

  constructor(
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    readonly span: Tracer.Span,
    readonly labels: CallLabels
  ) {
    this.clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
    this.timing = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
    this.fiberLabels = fiber.getFiberRef(FiberRef.currentMetricLabels)
    this.startedAt = this.clock.unsafeCurrentTimeNanos()
    Telemetry.inFlight.unsafeUpdate(1, this.tags(labels.base))
  }

  private tags(labels: ReadonlyArray<MetricLabel.MetricLabel>): ReadonlyArray<MetricLabel.MetricLabel> {
    return this.fiberLabels.length === 0 ? labels : [...this.fiberLabels, ...labels]
  }

  /** A request of the call sent again. */
  retried(): void {
    Telemetry.retries.unsafeUpdate(1, this.tags(this.labels.base))
  }

  /** Ends the call with `exit` and, for a stream, what its values said (once; later calls do nothing). */
  end(exit: Exit.Exit<unknown, unknown>, stream?: StreamObserver | undefined): void {
    if (this.ended) return
    this.ended = true
    this.release?.()
    const endedAt = this.clock.unsafeCurrentTimeNanos()
    const errorType = errorTypeOf(exit)
    if (errorType !== undefined) this.span.attribute("error.type", errorType)
    // a success ends the span without its value: a span kept by a tracer or exporter never holds a response
    this.span.end(this.timing ? endedAt : BigInt(0), Exit.isSuccess(exit) ? Exit.void : exit)
    const labels = this.labels
    const tokens = this.tokens
    Telemetry.inFlight.unsafeUpdate(-1, this.tags(labels.base))
    Telemetry.operationDuration.unsafeUpdate(
      Number(endedAt - this.startedAt) / 1e9,
      this.tags(errorType === undefined ? labels.base : labels.error(errorType))
    )
    if (tokens !== undefined) {
      if (tokens.input !== undefined) Telemetry.tokenUsage.unsafeUpdate(tokens.input, this.tags(labels.input))
      if (tokens.output !== undefined) Telemetry.tokenUsage.unsafeUpdate(tokens.output, this.tags(labels.output))
      if (tokens.cached !== undefined) {
        Telemetry.cachedInputTokens.unsafeUpdate(tokens.cached, this.tags(labels.base))
      }
    }
    if (stream !== undefined && stream.firstAt !== undefined) {
      Telemetry.timeToFirstChunk.unsafeUpdate(Number(stream.firstAt - this.startedAt) / 1e9, this.tags(labels.base))
      // the time of the stream's end stands for its last value's: no clock read per value
      if (stream.values > 1) {
        Telemetry.timePerOutputChunk.unsafeUpdate(
          Number(endedAt - stream.firstAt) / 1e9 / (stream.values - 1),
          this.tags(labels.base)
        )
      }
    }
  }
}
