import type * as Headers from "@effect/platform/Headers"
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import type { CallOptions } from "../ClientOptions.js"
import { AuthError, type TensormeshError, UpstreamError } from "../TensormeshError.js"
import type * as Transport from "../Transport.js"
import { boundText, fromStatus, fromTransportCause, invalidResponse } from "./errors.js"
import { eventsChannel, type Handler } from "./events.js"
import { annotateWait, type LimitedCall, mergeLimits, type ResolvedLimits, resolveLimits } from "./limits.js"
import { loggedAttempt, type Outcome } from "./log.js"
import { resolveTimings, type Settings } from "./settings.js"
import { type CallSpec, channelWithCall, scopedCall } from "./span.js"
import { DEFAULT_MAX_EVENT_SIZE, LineSplitter } from "./sse.js"
import { type CallRecord, observing, StreamObserver } from "./telemetry.js"
import { type Timer, timerOf } from "./timer.js"
import { USER_AGENT } from "./version.js"

// The request pipeline, written once for every transport: URL and headers → key check → limits → retries and backoff →
// per-attempt and total timeouts → status → error mapping → body (JSON, or SSE events with the idle timeout).
// It knows the transport only through the `Transport` seam.

/**
 * A route of the API: where it lives and whether it needs the key.
 *
 * @internal
 */
export interface Route {
  readonly method: "GET" | "POST"
  readonly path: string
  /** On the host root (`/tokenize`, …) rather than under the API base. */
  readonly root: boolean
  /** Fails with `AuthError` before sending when no key is configured. */
  readonly keyed: boolean
}

/**
 * Layer settings merged with one call's options.
 *
 * @internal
 */
export interface Call {
  readonly timeout: number
  readonly totalTimeout: number
  readonly maxRetries: number
  readonly idleTimeout: number
  readonly maxResponseBytes: number
  /** A stream's total deadline, from the call's start (`undefined`: none). */
  readonly streamTimeout: number | undefined
  readonly headers: Readonly<Record<string, string>> | undefined
  readonly limits: ResolvedLimits | undefined
}

/**
 * The call of the layer's own settings (no per-call options), computed once per settings.
 *
 * @internal
 */
export const layerCall = (settings: Settings): Call => {
  const timeout = Duration.toMillis(settings.timeout)
  return {
    timeout,
    totalTimeout: settings.totalTimeout === undefined ? timeout : Duration.toMillis(settings.totalTimeout),
    maxRetries: settings.maxRetries,
    idleTimeout: Duration.toMillis(settings.idleTimeout),
    maxResponseBytes: settings.maxResponseBytes,
    streamTimeout: settings.streamTimeout === undefined ? undefined : Duration.toMillis(settings.streamTimeout),
    headers: undefined,
    limits: settings.resolvedLimits
  }
}

/** @internal */
export const resolveCall = (
  settings: Settings,
  defaults: Call,
  options: CallOptions | undefined
): Effect.Effect<Call, TensormeshError> =>
  options === undefined ? Effect.succeed(defaults) : Effect.zipWith(
    resolveTimings(options),
    options.limits === undefined
      ? Effect.succeed(defaults.limits)
      : resolveLimits(mergeLimits(settings.limits, options.limits)),
    (t, limits): Call => {
      const timeout = t.timeout === undefined ? defaults.timeout : Duration.toMillis(t.timeout)
      return {
        timeout,
        totalTimeout: t.totalTimeout !== undefined
          ? Duration.toMillis(t.totalTimeout)
          : t.timeout !== undefined
          ? timeout
          : defaults.totalTimeout,
        maxRetries: t.maxRetries ?? defaults.maxRetries,
        idleTimeout: t.idleTimeout === undefined ? defaults.idleTimeout : Duration.toMillis(t.idleTimeout),
        maxResponseBytes: t.maxResponseBytes ?? defaults.maxResponseBytes,
        streamTimeout: t.streamTimeout === undefined ? defaults.streamTimeout : Duration.toMillis(t.streamTimeout),
        headers: options.headers,
        limits
      }
    }
  )

/** @internal */
export const missingKey = (route: Route): AuthError =>
  new AuthError({
    reason: "MissingApiKey",
    retryable: false,
    detail: `${route.method} ${route.path} needs an inference API key (set apiKey or TENSORMESH_INFERENCE_API_KEY)`
  })

// ---------------------------------------------------------------------------------------------------------------
// targets: what every request to one route shares, computed once per endpoint
// ---------------------------------------------------------------------------------------------------------------

/**
 * One route of one client: its URL and the headers every request to it sends (names in lowercase: the layer's
 * headers, then the per-call ones, then the SDK's own, which win).
 *
 * @internal
 */
export interface Target {
  readonly route: Route
  readonly url: string
  readonly origin: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  /** `headers` with the `content-type` of a JSON body. */
  readonly bodyHeaders: Readonly<Record<string, string>>
  readonly extraHeaders: Readonly<Record<string, string>>
  readonly sdkHeaders: Readonly<Record<string, string>>
}

const lowercased = (headers: Readonly<Record<string, string>> | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  if (headers !== undefined) { for (const name of Object.keys(headers)) out[name.toLowerCase()] = headers[name] }
  return out
}

/** @internal */
export const target = (settings: Settings, route: Route, accept: string): Target => {
  const url = `${route.root ? settings.root : settings.apiBase}${route.path}`
  const parsed = new URL(url)
  const sdkHeaders: Record<string, string> = { "user-agent": USER_AGENT, accept }
  if (settings.apiKey !== undefined) sdkHeaders["authorization"] = `Bearer ${Redacted.value(settings.apiKey)}`
  if (settings.userId !== undefined) sdkHeaders["x-user-id"] = Redacted.value(settings.userId)
  const extraHeaders = lowercased(settings.headers)
  const headers = { ...extraHeaders, ...sdkHeaders }
  return {
    route,
    url,
    origin: parsed.origin,
    path: parsed.pathname + parsed.search,
    headers,
    bodyHeaders: { ...headers, "content-type": "application/json" },
    extraHeaders,
    sdkHeaders
  }
}

/** W3C `traceparent` and B3 single headers for `span`, sent only when the layer asks for trace propagation. */
const traceHeaders = (span: Tracer.AnySpan): Record<string, string> => {
  const sampled = span._tag === "Span" ? span.sampled : true
  return {
    traceparent: `00-${span.traceId}-${span.spanId}-${sampled ? "01" : "00"}`,
    b3: `${span.traceId}-${span.spanId}-${sampled ? "1" : "0"}`
  }
}

// A class, not an object literal: a request lives as long as its exchange, and with many in flight V8 would
// pretenure a literal's allocation site (docs/performance.md, "Objects that live through a call").
class OutgoingRequest implements Transport.Request {
  readonly method: "GET" | "POST"
  readonly url: string
  readonly origin: string
  readonly path: string
  constructor(
    target: Target,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: string | undefined
  ) {
    this.method = target.route.method
    this.url = target.url
    this.origin = target.origin
    this.path = target.path
  }
}

/**
 * The request of one call to `target`.
 *
 * @internal
 */
export const requestOf = (
  settings: Settings,
  target: Target,
  body: string | undefined,
  call: Call,
  span: Tracer.AnySpan | undefined
): Transport.Request => {
  const trace = settings.propagateTraceContext && span !== undefined ? traceHeaders(span) : undefined
  const headers = call.headers === undefined && trace === undefined
    ? (body === undefined ? target.headers : target.bodyHeaders)
    : {
      ...target.extraHeaders,
      ...lowercased(call.headers),
      ...trace,
      ...target.sdkHeaders,
      ...(body === undefined ? {} : { "content-type": "application/json" })
    }
  return new OutgoingRequest(target, headers, body)
}

// ---------------------------------------------------------------------------------------------------------------
// retries
// ---------------------------------------------------------------------------------------------------------------

const MAX_RETRY_AFTER = 60_000

/**
 * Whether a failed attempt may be sent again: GETs on any transient failure; POSTs only where the request
 * provably was not processed (429, 503, connection refused).
 */
const mayRetry = (method: Route["method"], error: TensormeshError): error is UpstreamError =>
  error._tag === "UpstreamError" && error.retryable &&
  (method === "GET" || error.reason === "RateLimited" || error.reason === "Unavailable" ||
    error.reason === "ConnectionRefused") &&
  (error.retryAfter === undefined || Duration.toMillis(error.retryAfter) <= MAX_RETRY_AFTER)

/**
 * Exponential backoff, 0.5 s doubling up to 8 s, with up to 25% jitter taken off (Effect's `Random`, so tests can
 * seed it).
 *
 * @internal
 */
export const backoff = (retry: number): Effect.Effect<number> =>
  Effect.map(Random.next, (r) => Math.min(500 * 2 ** retry, 8000) * (1 - 0.25 * r))

const totalBudgetSpent = (millis: number) =>
  Effect.fail(new UpstreamError({ reason: "Timeout", retryable: true, detail: `total budget of ${millis} ms spent` }))

/** A failure of the limits before an attempt: never retried. */
class LimitFailure {
  constructor(readonly error: TensormeshError) {}
}

/**
 * One attempt under the call's limits, taken first within the time left (what they wait counts against the
 * budget). The slot is held in a scope of the attempt: closed when the attempt ends, or, for a stream (`hold`),
 * when it fails, else with `hold` (when the stream ends).
 */
const limitedAttempt = <A>(
  limited: LimitedCall,
  hold: Scope.Scope | undefined,
  remaining: number,
  call: Call,
  attempt: (millis: number) => Effect.Effect<A, TensormeshError>
): Effect.Effect<A, TensormeshError | LimitFailure> =>
  Effect.flatMap(hold === undefined ? Scope.make() : Scope.fork(hold, ExecutionStrategy.sequential), (scope) => {
    const run: Effect.Effect<A, TensormeshError | LimitFailure> = Effect.flatMap(
      Effect.mapError(Scope.extend(limited.before(remaining), scope), (error) => new LimitFailure(error)),
      (waited): Effect.Effect<A, TensormeshError | LimitFailure> => {
        const left = remaining - waited
        if (left <= 0) return Effect.mapError(totalBudgetSpent(call.totalTimeout), (error) => new LimitFailure(error))
        return Effect.tapError(attempt(Math.min(call.timeout, left)), limited.failed)
      }
    )
    return Effect.onExit(
      run,
      (exit) => hold === undefined || Exit.isFailure(exit) ? Scope.close(scope, exit) : Effect.void
    )
  })

/**
 * Runs `attempt` (given its time limit) with retries and a total budget: the retry policy of every request. With
 * `limited`, the call's limits are taken before each attempt.
 */
const withRetries = <A>(
  method: Route["method"],
  call: Call,
  clock: Clock.Clock,
  attempt: (millis: number) => Effect.Effect<A, TensormeshError>,
  record: CallRecord | undefined,
  limited?: LimitedCall | undefined,
  hold?: Scope.Scope | undefined
): Effect.Effect<A, TensormeshError> => {
  const start = clock.unsafeCurrentTimeMillis()
  const loop = (retry: number): Effect.Effect<A, TensormeshError> => {
    const remaining = call.totalTimeout - (clock.unsafeCurrentTimeMillis() - start)
    if (remaining <= 0) return totalBudgetSpent(call.totalTimeout)
    const run: Effect.Effect<A, TensormeshError | LimitFailure> = limited === undefined
      ? attempt(Math.min(call.timeout, remaining))
      : limitedAttempt(limited, hold, remaining, call, attempt)
    return Effect.catchAll(run, (error) => {
      if (error instanceof LimitFailure) return Effect.fail(error.error)
      if (retry >= call.maxRetries || !mayRetry(method, error)) return Effect.fail(error)
      return Effect.flatMap(backoff(retry), (wait) => {
        const delay = Math.max(wait, error.retryAfter === undefined ? 0 : Duration.toMillis(error.retryAfter))
        if (clock.unsafeCurrentTimeMillis() - start + delay >= call.totalTimeout) return Effect.fail(error)
        record?.retried()
        return Effect.flatMap(Effect.sleep(delay), () => loop(retry + 1))
      })
    })
  }
  return loop(0)
}

// ---------------------------------------------------------------------------------------------------------------
// one exchange: its abort signal, its timers, and how a transport failure reads
// ---------------------------------------------------------------------------------------------------------------

const attemptTimeout = (millis: number) =>
  new UpstreamError({ reason: "Timeout", retryable: true, detail: `no answer within ${millis} ms` })

const idleTimeout = (millis: number) =>
  new UpstreamError({
    reason: "IdleTimeout",
    retryable: true,
    detail: `no stream event within the idle timeout (${millis} ms)`
  })

const streamDeadline = (millis: number) =>
  new UpstreamError({ reason: "Timeout", retryable: false, detail: `the stream did not end within ${millis} ms` })

const tooLarge = (limit: number) =>
  new UpstreamError({
    reason: "ResponseTooLarge",
    retryable: false,
    detail: `the response body is larger than maxResponseBytes (${limit} bytes)`
  })

/**
 * One exchange with the transport: the signal that aborts it, and why it was aborted (a timer of the pipeline
 * fired), so that the transport's failure reads as the timeout it is.
 */
class Exchange implements Transport.Limits, Transport.Signal {
  expired: UpstreamError | undefined = undefined
  aborted = false
  maxBytes = Infinity
  private why: Error | undefined = undefined
  private cancelTimer: (() => void) | undefined = undefined
  private listener: (() => void) | undefined = undefined
  private listeners: Array<() => void> | undefined = undefined

  constructor(private readonly timer: Timer) {}

  /** Made when first read: most exchanges end without anyone asking why. */
  get reason(): unknown {
    if (!this.aborted) return undefined
    return this.why ??= new Error(this.expired?.detail ?? "the call ended")
  }

  get limits(): Transport.Limits {
    return this
  }
  get signal(): Transport.Signal {
    return this
  }

  onAbort(listener: () => void): () => void {
    if (this.aborted) {
      listener()
      return noop
    }
    // one listener (the transport's) is the usual case: an array only for more
    if (this.listener === undefined && this.listeners === undefined) {
      this.listener = listener
      return () => {
        if (this.listener === listener) this.listener = undefined
      }
    }
    const listeners = this.listeners ??= []
    listeners.push(listener)
    return () => {
      const i = listeners.indexOf(listener)
      if (i !== -1) listeners.splice(i, 1)
    }
  }

  private abort(): void {
    if (this.aborted) return
    this.aborted = true
    const listener = this.listener
    const listeners = this.listeners
    this.listener = undefined
    this.listeners = undefined
    listener?.()
    if (listeners !== undefined) { for (const each of listeners) each() }
  }

  /** Aborts the exchange with `error` after `millis`, replacing the previous timer. */
  expireAfter(millis: number, error: () => UpstreamError): void {
    this.cancel()
    this.cancelTimer = this.timer.schedule(millis, () => this.expire(error()))
  }

  /** Runs `task` after `millis` (for timers that decide for themselves whether to expire). */
  after(millis: number, task: () => void): void {
    this.cancel()
    this.cancelTimer = this.timer.schedule(millis, task)
  }

  expire(error: UpstreamError): void {
    if (this.expired !== undefined) return
    this.expired = error
    this.abort()
  }

  /** Ends the exchange: its timer cancelled, its signal fired (an interrupted or finished call aborts it). */
  close(): void {
    this.cancel()
    this.abort()
  }

  cancel(): void {
    const cancel = this.cancelTimer
    if (cancel !== undefined) {
      this.cancelTimer = undefined
      cancel()
    }
  }

  /** The typed error of a transport failure. */
  failure(error: Transport.TransportError): UpstreamError {
    if (this.expired !== undefined) return this.expired
    if (error.tooLarge === true) return tooLarge(this.maxBytes)
    return fromTransportCause(error.cause)
  }
}

const noop = () => {}

const utf8 = new TextDecoder("utf-8", { ignoreBOM: false })

const statusOk = (status: number) => status >= 200 && status < 300

// ---------------------------------------------------------------------------------------------------------------
// plain calls
// ---------------------------------------------------------------------------------------------------------------

/**
 * A 2xx body read as JSON (`undefined` for an empty body).
 *
 * @internal
 */
export interface JsonBody {
  readonly status: number
  readonly headers: Headers.Headers
  readonly json: unknown
}

/** The keys of an error body (vLLM's nested and flat shapes, FastAPI's), and nothing else. */
const ERROR_KEYS = new Set(["error", "object", "message", "type", "param", "code", "detail"])

/**
 * The status a 2xx body that is an error object stands for (`{"error": …}` or `{"object": "error", …}` with only
 * error keys), from its `code` when that is an HTTP status, else 500; `undefined` for any other body.
 */
const errorStatusOf = (json: unknown): number | undefined => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined
  const record = json as Record<string, unknown>
  const isError = record.object === "error" ||
    ("error" in record && Object.keys(record).every((key) => ERROR_KEYS.has(key)))
  if (!isError) return undefined
  const inner = typeof record.error === "object" && record.error !== null
    ? (record.error as Record<string, unknown>).code
    : record.code
  const code = typeof inner === "number" ? inner : Number(inner)
  return Number.isInteger(code) && code >= 400 && code < 600 ? code : 500
}

const parseJson = (
  response: Transport.Response,
  text: string,
  lenient: boolean,
  secrets: ReadonlyArray<string>,
  now: number
): Effect.Effect<JsonBody, TensormeshError> => {
  if (text === "") return Effect.succeed({ status: response.status, headers: response.headers, json: undefined })
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    if (lenient) return Effect.succeed({ status: response.status, headers: response.headers, json: undefined })
    return Effect.fail(
      invalidResponse(
        `the body is not JSON: ${boundText(text, 200, secrets)}`,
        cause,
        response.status,
        response.headers["x-request-id"]
      )
    )
  }
  // a 200 that says it failed: the error it describes, not a decode failure of the result
  const errorStatus = errorStatusOf(json)
  if (errorStatus !== undefined) return Effect.fail(fromStatus(errorStatus, response.headers, text, now, secrets))
  return Effect.succeed(new JsonBodyOf(response, json))
}

/** A body whose headers are read from the transport's response only when asked for. */
class JsonBodyOf implements JsonBody {
  constructor(private readonly response: Transport.Response, readonly json: unknown) {}
  get status(): number {
    return this.response.status
  }
  get headers(): Headers.Headers {
    return this.response.headers
  }
}

const sendAttempt = (
  transport: Transport.Service,
  secrets: ReadonlyArray<string>,
  request: Transport.Request,
  millis: number,
  maxBytes: number,
  timer: Timer,
  record: CallRecord,
  lenient: boolean
): Effect.Effect<JsonBody, TensormeshError> =>
  Effect.suspend(() => {
    const exchange = new Exchange(timer)
    exchange.maxBytes = maxBytes
    exchange.expireAfter(millis, () => attemptTimeout(millis))
    // an interrupted call closes its exchange as it ends (the record runs `release` on every exit): the timer
    // cancelled, the signal fired
    record.release = () => exchange.close()
    const clock = record.clock
    return Effect.matchEffect(transport.send(request, exchange.limits), {
      onFailure: (error) => {
        exchange.cancel()
        return Effect.fail(exchange.failure(error))
      },
      onSuccess: (response) => {
        exchange.cancel()
        const text = utf8.decode(response.body)
        return statusOk(response.status)
          ? parseJson(response, text, lenient, secrets, clock.unsafeCurrentTimeMillis())
          : Effect.fail(fromStatus(response.status, response.headers, text, clock.unsafeCurrentTimeMillis(), secrets))
      }
    })
  })

/**
 * Sends a request with retries, a per-attempt timeout and a total budget, and reads the 2xx body as JSON.
 *
 * @internal
 */
export const sendJson = (
  settings: Settings,
  target: Target,
  body: string | undefined,
  call: Call,
  record: CallRecord,
  lenient = false,
  limited?: LimitedCall | undefined
): Effect.Effect<JsonBody, TensormeshError> =>
  Effect.suspend(() => {
    const clock = record.clock
    const timer = timerOf(clock)
    const request = requestOf(settings, target, body, call, record.span)
    let attempts = 0
    const sent = withRetries(
      target.route.method,
      call,
      clock,
      (millis) => {
        const sending = sendAttempt(
          settings.transport,
          settings.secrets,
          request,
          millis,
          call.maxResponseBytes,
          timer,
          record,
          lenient
        )
        return settings.logLevel === "off" ? sending : loggedAttempt(
          settings.logLevel,
          settings.secrets,
          request,
          ++attempts,
          () => clock.unsafeCurrentTimeMillis(),
          sending,
          jsonOutcome
        )
      },
      record,
      limited
    )
    return limited === undefined ? sent : Effect.tap(sent, (response) => limited.used(usageOf(response.json)))
  })

const jsonOutcome = (body: JsonBody): Outcome => ({
  status: body.status,
  requestId: body.headers["x-request-id"],
  body: body.json
})

const streamOutcome = (opened: OpenStream): Outcome => ({
  status: opened.status,
  requestId: opened.headers["x-request-id"]
})

const usageOf = (json: unknown): unknown =>
  typeof json === "object" && json !== null ? (json as { usage?: unknown }).usage : undefined

// ---------------------------------------------------------------------------------------------------------------
// streams
// ---------------------------------------------------------------------------------------------------------------

/** How much of an error body is read (the rest is dropped: the message and the parsed body are bounded anyway). */
const MAX_ERROR_BODY = 64 * 1024

/** Reads at most `MAX_ERROR_BODY` bytes of a non-2xx streaming response. */
const readErrorBody = (opened: Transport.Opened): Effect.Effect<string> =>
  Effect.suspend(() => {
    const pieces: Array<Uint8Array> = []
    let total = 0
    const loop: Effect.Effect<void, Transport.TransportError> = Effect.flatMap(opened.pull, (reads) => {
      if (reads === undefined) return Effect.void
      for (const piece of reads) {
        pieces.push(piece)
        total += piece.length
      }
      return total >= MAX_ERROR_BODY ? Effect.void : loop
    })
    return Effect.orElse(loop, () => Effect.void).pipe(Effect.map(() => {
      const all = new Uint8Array(Math.min(total, MAX_ERROR_BODY))
      let offset = 0
      for (const piece of pieces) {
        if (offset >= all.length) break
        const part = piece.subarray(0, all.length - offset)
        all.set(part, offset)
        offset += part.length
      }
      return utf8.decode(all)
    }))
  })

/**
 * A streaming response open: status, headers, the body to pull (failures typed, timeouts included), and the
 * exchange, whose idle timer the reader of the body keeps going.
 */
interface OpenStream {
  readonly status: number
  readonly headers: Headers.Headers
  readonly pull: Effect.Effect<Chunk.Chunk<Uint8Array> | undefined, UpstreamError>
  /** Records that an event arrived: the idle timeout counts from the last one. */
  readonly onEvent: () => void
  readonly exchange: Exchange
}

/** The per-stream state that outlives one attempt: the scope the exchange lives in, and its current exchange. */
interface StreamState {
  readonly scope: Scope.CloseableScope
  /** The call's span and metrics. */
  readonly record: CallRecord | undefined
  exchange: Exchange | undefined
  /** Cancels the stream's total deadline. */
  cancelDeadline?: (() => void) | undefined
  /** With limits: the call's, its slot held in `scope`, and the last usage the stream reported. */
  limited?: LimitedCall | undefined
  opened?: OpenStream | undefined
  /** What the stream's values said (usage, first value, …), for the span, the metrics and the limits. */
  readonly observer?: StreamObserver | undefined
}

/**
 * Opens a streaming request with the retry policy (retries happen only here, before the first byte of the body is
 * read) and waits for the headers; a non-2xx response is read (bounded) and fails with its typed error. From the
 * headers on, the stream fails with `IdleTimeout` when no event arrives within the idle timeout (keep-alive
 * comments and bytes that complete no event do not count).
 */
const openStream = (
  settings: Settings,
  target: Target,
  body: string,
  call: Call,
  state: StreamState
): Effect.Effect<OpenStream, TensormeshError> =>
  Effect.clockWith((clock) => {
    const timer = timerOf(clock)
    const request = requestOf(settings, target, body, call, state.record?.span)
    const attempt = (millis: number): Effect.Effect<OpenStream, TensormeshError> =>
      Effect.suspend(() => {
        state.exchange?.close()
        const exchange = new Exchange(timer)
        state.exchange = exchange
        exchange.expireAfter(millis, () => attemptTimeout(millis))
        return Effect.matchEffect(Scope.extend(settings.transport.open(request, exchange.limits), state.scope), {
          onFailure: (error) => {
            exchange.cancel()
            return Effect.fail(exchange.failure(error))
          },
          onSuccess: (opened): Effect.Effect<OpenStream, TensormeshError> => {
            if (!statusOk(opened.status)) {
              return Effect.flatMap(readErrorBody(opened), (text) => {
                exchange.cancel()
                return Effect.fail(
                  fromStatus(opened.status, opened.headers, text, clock.unsafeCurrentTimeMillis(), settings.secrets)
                )
              })
            }
            if (opened.headers["content-type"]?.startsWith("application/json") === true) {
              // not an event stream: an error object (the error it describes), or a body the stream cannot read
              return Effect.flatMap(readErrorBody(opened), (text) => {
                exchange.cancel()
                let json: unknown
                try {
                  json = JSON.parse(text)
                } catch {
                  json = undefined
                }
                const status = errorStatusOf(json)
                return Effect.fail(
                  status !== undefined
                    ? fromStatus(status, opened.headers, text, clock.unsafeCurrentTimeMillis(), settings.secrets)
                    : invalidResponse(
                      `a JSON body where an event stream was expected: ${boundText(text, 200, settings.secrets)}`,
                      undefined,
                      opened.status,
                      opened.headers["x-request-id"]
                    )
                )
              })
            }
            const idle = call.idleTimeout
            let lastEvent = clock.unsafeCurrentTimeMillis()
            const check = () => {
              const quiet = clock.unsafeCurrentTimeMillis() - lastEvent
              if (quiet >= idle) exchange.expire(idleTimeout(idle))
              else exchange.after(idle - quiet, check)
            }
            exchange.after(idle, check)
            return Effect.succeed<OpenStream>({
              status: opened.status,
              headers: opened.headers,
              pull: Effect.mapError(opened.pull, (error) => exchange.failure(error)),
              onEvent: () => {
                lastEvent = clock.unsafeCurrentTimeMillis()
              },
              exchange
            })
          }
        })
      })
    const deadline = call.streamTimeout
    if (deadline !== undefined) {
      // the whole stream, retries included, from now: a stream of keep-alives or empty reads ends too
      state.cancelDeadline = timer.schedule(deadline, () => state.exchange?.expire(streamDeadline(deadline)))
    }
    let attempts = 0
    const logged = settings.logLevel === "off" ? attempt : (millis: number) =>
      loggedAttempt(
        settings.logLevel,
        settings.secrets,
        request,
        ++attempts,
        () => clock.unsafeCurrentTimeMillis(),
        attempt(millis),
        streamOutcome
      )
    return Effect.tap(
      withRetries(target.route.method, call, clock, logged, state.record, state.limited, state.scope),
      (opened) => {
        state.opened = opened
      }
    )
  })

const releaseStream = (state: StreamState, exit: Parameters<typeof Scope.close>[1]) =>
  Effect.suspend(() => {
    state.cancelDeadline?.()
    state.exchange?.close()
    const limited = state.limited
    if (limited === undefined) return Scope.close(state.scope, exit)
    return Effect.zipRight(
      Scope.close(state.scope, exit),
      Effect.zipRight(limited.used(state.observer?.usage), annotateWait(state.record?.span, limited))
    )
  })

/**
 * Reads what is left of a body after its terminal event (normally just its end), for a second at most: a slot of
 * the limits is freed when the server is done with the response, not as soon as its terminal event arrives.
 */
const drainBody = (state: StreamState): Effect.Effect<void> => {
  const opened = state.opened
  if (opened === undefined) return Effect.void
  const loop: Effect.Effect<void, UpstreamError> = Effect.flatMap(
    opened.pull,
    (reads) => reads === undefined ? Effect.void : loop
  )
  return Effect.ignore(Effect.timeout(loop, "1 second"))
}

/**
 * What a streaming endpoint hands the pipeline for one call: its span, its target, and the checked request body
 * with the call's options (or the failure that stops it before sending).
 *
 * @internal
 */
export interface StreamCall extends CallSpec {
  /** The latest GenAI names (`OTEL_SEMCONV_STABILITY_OPT_IN`). */
  readonly latest: boolean
  readonly target: Target
  readonly prepare: Effect.Effect<
    { readonly body: string; readonly call: Call; readonly limited: LimitedCall | undefined },
    TensormeshError
  >
}

/**
 * The values of a streaming call, one stage from the transport's body to the values: SSE decoding and `handle`
 * fused, the span covering the whole stream, the request aborted whenever the stream ends.
 *
 * @internal
 */
export const streamValues = <A>(
  settings: Settings,
  spec: StreamCall,
  handler: (secrets: ReadonlyArray<string>) => Handler<A>,
  truncated: () => UpstreamError
): Stream.Stream<A, TensormeshError> =>
  Stream.fromChannel(channelWithCall(
    spec,
    (record) =>
      Effect.map(Scope.make(), (scope): StreamState => ({
        scope,
        record,
        exchange: undefined,
        observer: new StreamObserver(record.clock, record.startedAt)
      })),
    (state) => {
      const events = eventsChannel(
        Effect.flatMap(spec.prepare, ({ body, call, limited }) => {
          state.limited = limited
          return openStream(settings, spec.target, body, call, state)
        }),
        () => observing(handler(settings.secrets), state.observer!),
        truncated
      )
      return Channel.zipLeft(
        events,
        Channel.fromEffect(Effect.suspend(() => state.limited === undefined ? Effect.void : drainBody(state)))
      )
    },
    (state, exit) =>
      Effect.zipRight(
        releaseStream(state, exit),
        Effect.sync(() => {
          const observer = state.observer!
          state.record!.tokens = observer.annotate(state.record!.span, spec.latest)
          return observer
        })
      )
  ))

/**
 * The values of a streaming call, opened eagerly in the current scope: the effect succeeds once a 2xx response
 * arrived (retries done; status, auth and validation failures fail it), and the stream it gives reads the body with
 * the decoding and idle timeout of `streamValues`. The request is aborted when the stream ends or the scope closes,
 * whichever comes first; the span covers the call until then. The stream can be run once.
 *
 * @internal
 */
export const openValues = <A>(
  settings: Settings,
  spec: StreamCall,
  handler: (secrets: ReadonlyArray<string>) => Handler<A>,
  truncated: () => UpstreamError
): Effect.Effect<Stream.Stream<A, TensormeshError>, TensormeshError, Scope.Scope> =>
  Effect.flatMap(
    Effect.scope,
    (outer) =>
      Effect.flatMap(scopedCall(spec), (record) =>
        Effect.flatMap(Scope.fork(outer, ExecutionStrategy.sequential), (scope) => {
          const state: StreamState = {
            scope,
            record,
            exchange: undefined,
            observer: new StreamObserver(record.clock, record.startedAt)
          }
          let released = false
          // the stream's end or the scope's, whichever comes first: the request aborted, the span and the metrics
          // recorded as for `stream`
          const release = (exit: Exit.Exit<unknown, unknown>) =>
            Effect.suspend(() => {
              if (released) {
                return Effect.void
              }
              released = true
              return Effect.zipRight(
                releaseStream(state, exit),
                Effect.sync(() => {
                  const observer = state.observer!
                  record.tokens = observer.annotate(record.span, spec.latest)
                  record.end(exit, observer)
                })
              )
            })
          return Effect.zipRight(
            Scope.addFinalizer(
              outer,
              Effect.suspend(() =>
                release(Exit.void)
              )
            ),
            Effect.withParentSpan(
              Effect.flatMap(spec.prepare, ({ body, call, limited }) => {
                state.limited = limited
                return Effect.map(openStream(settings, spec.target, body, call, state), (opened) => {
                  const events = eventsChannel(
                    Effect.succeed(opened),
                    () => observing(handler(settings.secrets), state.observer!),
                    truncated
                  )
                  const read = Channel.zipLeft(
                    events,
                    Channel.fromEffect(
                      Effect.suspend(() => state.limited === undefined ? Effect.void : drainBody(state))
                    )
                  )
                  return Stream.ensuringWith(Stream.fromChannel(read), release)
                })
              }).pipe(Effect.tapErrorCause((cause) => release(Exit.failCause(cause)))),
              record.span
            )
          )
        }))
  )

/**
 * Opens a streaming call in the current scope (closing it aborts the request) and gives its status, headers and
 * raw lines (blank separator lines included). Non-blank lines that are not comments count as activity for the
 * idle timeout.
 *
 * @internal
 */
export const openLines = (
  settings: Settings,
  target: Target,
  body: string,
  call: Call,
  record: CallRecord | undefined,
  limited?: LimitedCall | undefined
): Effect.Effect<
  {
    readonly status: number
    readonly headers: Headers.Headers
    readonly lines: Stream.Stream<string, TensormeshError>
  },
  TensormeshError,
  Scope.Scope
> =>
  Effect.flatMap(Effect.scope, (outer) =>
    Effect.flatMap(Scope.fork(outer, { _tag: "Sequential" }), (scope) => {
      const state: StreamState = { scope, record, exchange: undefined, limited }
      return Effect.zipRight(
        Scope.addFinalizer(outer, Effect.sync(() => state.exchange?.close())),
        Effect.map(openStream(settings, target, body, call, state), (opened) => ({
          status: opened.status,
          headers: opened.headers,
          lines: linesOf(opened)
        }))
      )
    }))

const lineTooLarge = (size: number) =>
  new UpstreamError({
    reason: "EventTooLarge",
    retryable: false,
    detail: `an SSE line of at least ${size} characters (the limit is ${DEFAULT_MAX_EVENT_SIZE})`
  })

/**
 * The lines that complete with each read; a non-blank line that is not a comment counts as an event. A line is
 * bounded like an event (`EventTooLarge`), in linear time.
 */
const linesOf = (opened: OpenStream): Stream.Stream<string, TensormeshError> =>
  Stream.suspend(() => {
    const splitter = new LineSplitter()
    const emit = (lines: Array<string>) => {
      let active = false
      for (const line of lines) {
        if (line.length > DEFAULT_MAX_EVENT_SIZE) return Effect.fail(Option.some(lineTooLarge(line.length)))
        if (line.length > 0 && line.charCodeAt(0) !== 58) active = true
      }
      if (splitter.pendingLength > DEFAULT_MAX_EVENT_SIZE) {
        return Effect.fail(Option.some(lineTooLarge(splitter.pendingLength)))
      }
      if (active) opened.onEvent()
      return Effect.succeed(Chunk.unsafeFromArray(lines))
    }
    return Stream.repeatEffectChunkOption(
      Effect.flatMap(Effect.mapError(opened.pull, Option.some), (reads) => {
        const lines: Array<string> = []
        if (reads === undefined) {
          splitter.endInto(lines)
          return lines.length === 0 ? Effect.fail(Option.none()) : emit(lines)
        }
        for (const read of reads) splitter.pushInto(read, lines)
        return emit(lines)
      })
    )
  })
