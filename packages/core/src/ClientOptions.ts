/**
 * Options of the surface layers and of each call.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Duration from "effect/Duration"
import type * as Redacted from "effect/Redacted"

/**
 * Transport settings that can be set per layer and overridden per call.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallOptions {
  /** Per-attempt timeout: for a plain call until the body is read, for a stream until the headers. Default 10 minutes. */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * Budget for the whole call across retries (no retry starts that would end after it); defaults to `timeout`, so
   * timeouts never multiply.
   */
  readonly totalTimeout?: Duration.DurationInput | undefined
  /** Retries of transient failures (GETs), or of provably unprocessed POSTs (429, 503, connection refused). Default 2. */
  readonly maxRetries?: number | undefined
  /**
   * Longest wait for the next stream event before the stream fails with `IdleTimeout`, counted from the headers
   * and then from the last event. An event is a dispatched SSE event (a blank line after `data:`/`event:` lines,
   * known or unknown); comments such as `: ping` keep-alives and bytes that complete no event do not count, so a
   * server that only sends keep-alives still times out. Default 5 minutes.
   */
  readonly idleTimeout?: Duration.DurationInput | undefined
  /**
   * A stream's total deadline, from the call's start, retries included: past it the stream fails with
   * `UpstreamError` `Timeout` (not retried), whatever arrives (keep-alives included). Default none.
   */
  readonly streamTimeout?: Duration.DurationInput | undefined
  /**
   * Largest response body read in full (after decompression); past it the call fails at once with
   * `UpstreamError` `ResponseTooLarge` (not retried). Streams are bounded per event instead. Default 32 MiB.
   */
  readonly maxResponseBytes?: number | undefined
  /**
   * Extra request headers (e.g. `x-request-id`): names must be RFC 7230 tokens, values Latin-1 without line breaks
   * (else the call fails with `ValidationError` `InvalidConfig` naming the header, and nothing is sent).
   */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * Request, token and concurrency limits, counted in the `LimitStore` (in this process by default) per surface,
   * API key (hashed) and model. Per call, each field given replaces the layer's.
   */
  readonly limits?: Limits | undefined
}

/**
 * Limits of the calls of a client, shared by every client on the same `LimitStore` with the same surface, API key
 * and model. They are taken before each attempt, retries included; what is waited counts against `totalTimeout`.
 *
 * @since 0.2.0
 * @category models
 */
export interface Limits {
  /** At most `limit` requests per `window` (fixed windows from the first request). */
  readonly requests?: { readonly limit: number; readonly window: Duration.DurationInput } | undefined
  /**
   * At most `limit` tokens per `window`: each request takes an estimate (a token per 4 characters of its prompt,
   * plus `max_tokens` or `max_output_tokens`), corrected by the usage the response reports.
   */
  readonly tokens?: { readonly limit: number; readonly window: Duration.DurationInput } | undefined
  /** At most this many requests in flight; a stream holds its slot until it ends or is interrupted. */
  readonly concurrency?: number | undefined
  /**
   * At a limit: `wait` (the default; interruptible, counted against `totalTimeout`) or `fail` at once with
   * `UpstreamError` reason `RateLimited` and a `retryAfter`.
   */
  readonly onExceeded?: "wait" | "fail" | undefined
}

/**
 * Options of `ServerlessLayer`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientOptions extends CallOptions {
  /** The API base; `/v1` routes go below it, root routes on it without `/v1`. Default `https://serverless.tensormesh.ai/v1`. */
  readonly baseUrl?: string | undefined
  /** The inference API key. Without one, only models, health and version can be called. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /**
   * The default model of chat, completions and responses requests: a request without `model` is sent with this
   * one (a request's own `model` wins). Without a default, a request without `model` fails with `ValidationError`
   * naming `model`, before sending. `.config()` layers read `TENSORMESH_MODEL`.
   *
   * @since 0.2.0
   */
  readonly model?: string | undefined
  /** Move leaked `<think>…</think>` blocks from `content` into `reasoning`. Default true. */
  readonly stripThinking?: boolean | undefined
  /**
   * Send `traceparent` / `b3` headers from the call's span, on every transport. Default false: no headers beyond
   * the SDK's own.
   */
  readonly propagateTraceContext?: boolean | undefined
  /**
   * What the SDK logs through Effect's `Logger`: `warn` (failed attempts and retries), `info` (also one line per
   * attempt: method, URL, status, milliseconds, attempt, request id), `debug` (also the request and response
   * bodies, bounded). `Authorization`, `X-User-Id` and the key never appear: secrets are scrubbed from every line,
   * bodies included. Default `TENSORMESH_LOG`, else `off`. The SDK's lines are emitted at their level whatever the
   * application's minimum log level.
   */
  readonly logLevel?: "debug" | "info" | "warn" | "off" | undefined
  /**
   * Adjust the HTTP client the SDK uses (proxies, extra middleware, test hooks). Only where the layer builds its
   * transport from an `HttpClient` (`ServerlessLayer`, `OnDemandLayer`); a layer given a `Transport` rejects it.
   * If the adjusted client follows redirects, `Authorization` and `X-User-Id` are dropped when the origin changes.
   */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * Options of `OnDemandLayer`: the base URL and the Tensormesh user id (sent as `X-User-Id`) are required.
 *
 * @since 0.1.0
 * @category models
 */
export interface OnDemandOptions extends ClientOptions {
  readonly baseUrl: string
  /** The Tensormesh user id (a UUID), from `tm --output json auth whoami`. Never logged. */
  readonly userId: string | Redacted.Redacted<string>
}
