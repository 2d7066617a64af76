/**
 * The metrics every call records, as Effect `Metric`s named and bucketed as the OpenTelemetry GenAI semantic
 * conventions say (client metrics). They go wherever the application's metrics go: with `@effect/opentelemetry`'s
 * `NodeSdk.layer({ metricReader })` to any OpenTelemetry exporter, or read with `Metric.value`.
 *
 * Every metric is tagged with `gen_ai.operation.name` (`chat`, `text_completion`, `tokenize`, `detokenize`,
 * `list_models`, `health`, `version`), `gen_ai.system` = `tensormesh` (`gen_ai.provider.name` with
 * `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`), `gen_ai.request.model` when the request names one,
 * `server.address`, `server.port` and `tensormesh.surface` (`serverless` | `on-demand`); the duration also with
 * `error.type` (the error's `reason`) on failure, the token usage with `gen_ai.token.type` (`input` | `output`).
 *
 * @since 0.2.0
 */
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"

/**
 * The conventions' bucket boundaries for `gen_ai.client.token.usage`: powers of 4 from 1 to 4^13.
 *
 * @since 0.2.0
 * @category boundaries
 */
export const TOKEN_BOUNDARIES: ReadonlyArray<number> = [
  1,
  4,
  16,
  64,
  256,
  1024,
  4096,
  16384,
  65536,
  262144,
  1048576,
  4194304,
  16777216,
  67108864
]

/**
 * The conventions' bucket boundaries for `gen_ai.client.operation.duration`, in seconds: 0.01 doubling to 81.92.
 *
 * @since 0.2.0
 * @category boundaries
 */
export const DURATION_BOUNDARIES: ReadonlyArray<number> = [
  0.01,
  0.02,
  0.04,
  0.08,
  0.16,
  0.32,
  0.64,
  1.28,
  2.56,
  5.12,
  10.24,
  20.48,
  40.96,
  81.92
]

/**
 * Bucket boundaries for the time to the first chunk, in seconds (the conventions' for time to first token).
 *
 * @since 0.2.0
 * @category boundaries
 */
export const FIRST_CHUNK_BOUNDARIES: ReadonlyArray<number> = [
  0.001,
  0.005,
  0.01,
  0.02,
  0.04,
  0.06,
  0.08,
  0.1,
  0.25,
  0.5,
  0.75,
  1,
  2.5,
  5,
  7.5,
  10
]

/**
 * Bucket boundaries for the time per output chunk, in seconds (the conventions' for time per output token).
 *
 * @since 0.2.0
 * @category boundaries
 */
export const CHUNK_BOUNDARIES: ReadonlyArray<number> = [
  0.01,
  0.025,
  0.05,
  0.075,
  0.1,
  0.15,
  0.2,
  0.3,
  0.4,
  0.5,
  0.75,
  1,
  2.5
]

/**
 * `gen_ai.client.token.usage`: the input and output tokens of each call that reports usage (tagged
 * `gen_ai.token.type`), from the response's `usage` (a stream's last usage).
 *
 * @since 0.2.0
 * @category metrics
 */
export const tokenUsage = Metric.histogram(
  "gen_ai.client.token.usage",
  MetricBoundaries.fromIterable(TOKEN_BOUNDARIES),
  "Number of input and output tokens used (token)"
)

/**
 * `gen_ai.client.operation.duration`: the seconds from the start of a call to its end (for a stream, its last
 * event), tagged `error.type` on failure.
 *
 * @since 0.2.0
 * @category metrics
 */
export const operationDuration = Metric.histogram(
  "gen_ai.client.operation.duration",
  MetricBoundaries.fromIterable(DURATION_BOUNDARIES),
  "GenAI operation duration (s)"
)

/**
 * `gen_ai.client.operation.time_to_first_chunk`: for a stream, the seconds from the start of the call to its first
 * value.
 *
 * @since 0.2.0
 * @category metrics
 */
export const timeToFirstChunk = Metric.histogram(
  "gen_ai.client.operation.time_to_first_chunk",
  MetricBoundaries.fromIterable(FIRST_CHUNK_BOUNDARIES),
  "Time to receive the first chunk of a streamed response (s)"
)

/**
 * `gen_ai.client.operation.time_per_output_chunk`: for a stream of more than one value, the mean seconds between
 * values after the first (recorded once per stream, so that the per-chunk cost stays a counter increment).
 *
 * @since 0.2.0
 * @category metrics
 */
export const timePerOutputChunk = Metric.histogram(
  "gen_ai.client.operation.time_per_output_chunk",
  MetricBoundaries.fromIterable(CHUNK_BOUNDARIES),
  "Mean time per output chunk after the first chunk, per stream (s)"
)

/**
 * `tensormesh.client.token.cached_input`: input tokens served from the prefix cache
 * (`usage.prompt_tokens_details.cached_tokens`, `usage.input_tokens_details.cached_tokens`), summed.
 *
 * @since 0.2.0
 * @category metrics
 */
export const cachedInputTokens = Metric.counter("tensormesh.client.token.cached_input", {
  description: "Input tokens served from the prefix cache (token)",
  incremental: true
})

/**
 * `tensormesh.client.retries`: requests sent again after a retryable failure.
 *
 * @since 0.2.0
 * @category metrics
 */
export const retries = Metric.counter("tensormesh.client.retries", {
  description: "Requests retried after a retryable failure",
  incremental: true
})

/**
 * `tensormesh.client.requests.in_flight`: calls started and not ended (a stream until its end).
 *
 * @since 0.2.0
 * @category metrics
 */
export const inFlight = Metric.counter("tensormesh.client.requests.in_flight", {
  description: "Calls in flight"
})
