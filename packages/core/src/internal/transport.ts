import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Chunk, Clock, Duration, Effect, ExecutionStrategy, Exit, Option, Random, Redacted, Stream } from "effect"
import * as Scope from "effect/Scope"
import type { CallOptions } from "../ClientOptions.js"
import { AuthError, type TensormeshError, UpstreamError } from "../TensormeshError.js"
import type { DirectExchange, DirectHandler, DirectRequest, DirectTransport } from "./direct.js"
import { fromRequestError, fromStatus, fromTransportCause, invalidResponse } from "./errors.js"
import { type LimitedCall, mergeLimits, type ResolvedLimits, resolveLimits } from "./limits.js"
import { resolveTimings, type Settings } from "./settings.js"
import { USER_AGENT } from "./version.js"

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
  readonly idleTimeout: Duration.Duration
  readonly headers: Readonly<Record<string, string>> | undefined
  readonly limits: ResolvedLimits | undefined
}

/** @internal */
export const resolveCall = (
  settings: Settings,
  options: CallOptions | undefined
): Effect.Effect<Call, TensormeshError> =>
  options === undefined ? Effect.succeed(layerCall(settings)) : Effect.zipWith(
    resolveTimings(options),
    options.limits === undefined
      ? Effect.succeed(settings.resolvedLimits)
      : resolveLimits(mergeLimits(settings.limits, options.limits)),
    (t, limits) => {
      const timeout = t.timeout ?? settings.timeout
      return {
        timeout: Duration.toMillis(timeout),
        totalTimeout: Duration.toMillis(t.totalTimeout ?? (t.timeout ? timeout : settings.totalTimeout ?? timeout)),
        maxRetries: t.maxRetries ?? settings.maxRetries,
        idleTimeout: t.idleTimeout ?? settings.idleTimeout,
        headers: options.headers,
        limits
      }
    }
  )

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
    idleTimeout: settings.idleTimeout,
    headers: undefined,
    limits: settings.resolvedLimits
  }
}

/** Names whose values never appear in spans, logs or errors. */
const redactedNames = ["authorization", "x-user-id", "cookie", "set-cookie", "x-api-key", "proxy-authorization"]

/**
 * Fails with `AuthError` when a keyed route is called without a key, before anything is sent.
 *
 * @internal
 */
export const requireKey = (settings: Settings, route: Route): Effect.Effect<void, AuthError> =>
  route.keyed && settings.apiKey === undefined
    ? Effect.fail(missingKey(route))
    : Effect.void

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
 * headers, then the SDK's own, which win).
 *
 * @internal
 */
export interface Target {
  readonly route: Route
  readonly accept: string
  readonly url: string
  readonly origin: string
  /** Path and query, as sent on the request line. */
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  /** `headers` with the `content-type` of a JSON body. */
  readonly bodyHeaders: Readonly<Record<string, string>>
  /** The settings' extra headers, lowercased (per-call headers go between these and the SDK's). */
  readonly extraHeaders: Readonly<Record<string, string>>
  /** The SDK's own headers. */
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
    accept,
    url,
    origin: parsed.origin,
    path: parsed.pathname + parsed.search,
    headers,
    bodyHeaders: { ...headers, "content-type": "application/json" },
    extraHeaders,
    sdkHeaders
  }
}

const headersOf = (target: Target, call: Call): Readonly<Record<string, string>> =>
  call.headers === undefined
    ? target.headers
    : { ...target.extraHeaders, ...lowercased(call.headers), ...target.sdkHeaders }

const buildRequest = (target: Target, body: string | undefined, call: Call): HttpClientRequest.HttpClientRequest =>
  HttpClientRequest.make(target.route.method)(target.url, {
    headers: Headers.fromInput(headersOf(target, call)),
    ...(body === undefined ? {} : { body: HttpBody.text(body, "application/json") })
  } as HttpClientRequest.Options.NoUrl)

// ---------------------------------------------------------------------------------------------------------------
// direct transports
// ---------------------------------------------------------------------------------------------------------------

const directRequest = (target: Target, body: string | undefined, call: Call): DirectRequest => ({
  method: target.route.method,
  origin: target.origin,
  path: target.path,
  headers: call.headers === undefined
    ? (body === undefined ? target.headers : target.bodyHeaders)
    : body === undefined
    ? headersOf(target, call)
    : { ...headersOf(target, call), "content-type": "application/json" },
  body
})

/** Timers longer than this fire at once in JavaScript runtimes; such a timeout is treated as none (as Effect does). */
const MAX_TIMER_MILLIS = 2 ** 31 - 1

let liveClock: Clock.Clock | undefined

/**
 * Whether `clock` is Effect's default clock, so that the direct path may time out with the runtime's own timers
 * (a `TestClock` or any other clock gets Effect's timeouts, which follow it).
 */
const isLiveClock = (clock: Clock.Clock): boolean => clock === (liveClock ??= Effect.runSync(Effect.clock))

const utf8 = new TextDecoder("utf-8", { ignoreBOM: false })

const decodeUtf8 = (chunks: ReadonlyArray<Uint8Array>): string => {
  if (chunks.length === 0) return ""
  if (chunks.length === 1) return utf8.decode(chunks[0])
  let length = 0
  for (let i = 0; i < chunks.length; i++) length += chunks[i].length
  const all = new Uint8Array(length)
  let offset = 0
  for (let i = 0; i < chunks.length; i++) {
    all.set(chunks[i], offset)
    offset += chunks[i].length
  }
  return utf8.decode(all)
}

/** A response read in full by the direct path; its headers are converted only when asked for. */
class DirectText {
  private cached: Headers.Headers | undefined
  constructor(readonly status: number, private readonly raw: Headers.Input, readonly text: string) {}
  get headers(): Headers.Headers {
    return this.cached ??= Headers.fromInput(this.raw)
  }
}

/**
 * One direct exchange read in full: the handler the transport reports to, and the state of the wait; `start` sets
 * the per-attempt timer when the timeout is enforced here (with the live clock).
 */
class TextExchange implements DirectHandler {
  private settled = false
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  private status = 0
  private headers: Headers.Input = {}
  private readonly chunks: Array<Uint8Array> = []
  private exchange: DirectExchange | undefined = undefined

  constructor(private readonly resume: (effect: Effect.Effect<DirectText, TensormeshError>) => void) {}

  start(direct: DirectTransport, request: DirectRequest, millis: number | undefined): Effect.Effect<void> {
    this.exchange = direct.exchange(request, this)
    if (!this.settled && millis !== undefined && millis <= MAX_TIMER_MILLIS) {
      this.timer = setTimeout(() => {
        if (this.settled) return
        this.settled = true
        this.exchange?.abort()
        this.resume(Effect.fail(attemptTimeout(millis)))
      }, millis)
    }
    return Effect.sync(() => {
      if (this.settled) return
      this.settled = true
      if (this.timer !== undefined) clearTimeout(this.timer)
      this.exchange?.abort()
    })
  }

  private settle(effect: Effect.Effect<DirectText, TensormeshError>) {
    if (this.settled) return
    this.settled = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.resume(effect)
  }

  onStart(status: number, headers: Headers.Input) {
    this.status = status
    this.headers = headers
  }

  onData(chunk: Uint8Array) {
    this.chunks.push(chunk)
  }

  onEnd() {
    if (this.settled) return
    let text: string
    try {
      text = decodeUtf8(this.chunks)
    } catch (cause) {
      return this.settle(Effect.fail(fromTransportCause(cause)))
    }
    this.settle(Effect.succeed(new DirectText(this.status, this.headers, text)))
  }

  onError(cause: unknown) {
    this.settle(Effect.fail(fromTransportCause(cause)))
  }
}

/**
 * One exchange read in full, failing with a transport error; `millis` is the per-attempt timeout when it is
 * enforced here (with the live clock), `undefined` when the caller wraps it in `Effect.timeoutFail`.
 */
const directText = (
  direct: DirectTransport,
  request: DirectRequest,
  millis: number | undefined
): Effect.Effect<DirectText, TensormeshError> =>
  Effect.async<DirectText, TensormeshError>((resume) => new TextExchange(resume).start(direct, request, millis))

const statusOk = (status: number) => status >= 200 && status < 300

/** One direct attempt: the body read as JSON, or the typed error of the status. */
const directJsonAttempt = (
  direct: DirectTransport,
  request: DirectRequest,
  millis: number,
  clock: Clock.Clock,
  lenient: boolean
): Effect.Effect<JsonBody, TensormeshError> => {
  const live = isLiveClock(clock)
  const exchange = directText(direct, request, live ? millis : undefined)
  const read = Effect.flatMap(exchange, (response) =>
    statusOk(response.status)
      ? parseJson(response.status, response, response.text, lenient)
      : Effect.fail(fromStatus(response.status, response.headers, response.text, clock.unsafeCurrentTimeMillis())))
  return live ? read : Effect.timeoutFail(read, { duration: millis, onTimeout: () => attemptTimeout(millis) })
}

// ---------------------------------------------------------------------------------------------------------------
// generic transports: any HttpClient
// ---------------------------------------------------------------------------------------------------------------

const readErrorBody = (response: HttpClientResponse.HttpClientResponse) => Effect.orElseSucceed(response.text, () => "")

const attemptTimeout = (millis: number) =>
  new UpstreamError({ reason: "Timeout", retryable: true, detail: `no answer within ${millis} ms` })

/**
 * One attempt: send, check the status (reading an error body as text so the connection is freed), then `read`
 * the response. The per-attempt timeout covers `read` too.
 */
const attempt = <A>(
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  millis: number,
  read: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, TensormeshError>
): Effect.Effect<A, TensormeshError> =>
  client.execute(request).pipe(
    Effect.mapError(fromRequestError),
    Effect.flatMap((response) =>
      statusOk(response.status)
        ? read(response)
        : Effect.flatMap(
          Effect.zip(readErrorBody(response), Clock.currentTimeMillis),
          ([text, now]) => Effect.fail(fromStatus(response.status, response.headers, text, now))
        )
    ),
    Effect.timeoutFail({ duration: millis, onTimeout: () => attemptTimeout(millis) }),
    Effect.locally(Headers.currentRedactedNames, redactedNames)
  )

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

/** A failure of the limits before an attempt: never retried here. */
class LimitFailure {
  constructor(readonly error: TensormeshError) {}
}

/**
 * One attempt under the call's limits, taken first (within the time left); the slot is held in a scope of the
 * attempt, closed when it fails, or (for a stream, `hold` given) kept open until `hold` closes.
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
        if (left <= 0) return Effect.fail(new LimitFailure(totalTimeoutError(call.totalTimeout)))
        return Effect.tapError(attempt(Math.min(call.timeout, left)), limited.failed)
      }
    )
    return Effect.onExit(
      run,
      (exit) => hold === undefined || Exit.isFailure(exit) ? Scope.close(scope, exit) : Effect.void
    )
  })

/**
 * Runs `attempt` (given its time limit) with retries and a total budget: the retry policy of every request; with
 * `limited`, the call's limits are taken before each attempt (their wait counts against the budget).
 */
const withRetries = <A>(
  method: Route["method"],
  call: Call,
  attempt: (millis: number, clock: Clock.Clock) => Effect.Effect<A, TensormeshError>,
  limited?: LimitedCall | undefined,
  hold?: Scope.Scope | undefined
): Effect.Effect<A, TensormeshError> =>
  Effect.clockWith((clock) => {
    const start = clock.unsafeCurrentTimeMillis()
    const loop = (retry: number): Effect.Effect<A, TensormeshError> => {
      const remaining = call.totalTimeout - (clock.unsafeCurrentTimeMillis() - start)
      if (remaining <= 0) return attemptTimeoutTotal(call.totalTimeout)
      const run: Effect.Effect<A, TensormeshError | LimitFailure> = limited === undefined
        ? attempt(Math.min(call.timeout, remaining), clock)
        : limitedAttempt(limited, hold, remaining, call, (millis) => attempt(millis, clock))
      return Effect.catchAll(run, (error) => {
        if (error instanceof LimitFailure) return Effect.fail(error.error)
        if (retry >= call.maxRetries || !mayRetry(method, error)) return Effect.fail(error)
        return Effect.flatMap(backoff(retry), (wait) => {
          const delay = Math.max(wait, error.retryAfter === undefined ? 0 : Duration.toMillis(error.retryAfter))
          if (clock.unsafeCurrentTimeMillis() - start + delay >= call.totalTimeout) return Effect.fail(error)
          return Effect.flatMap(Effect.sleep(delay), () => loop(retry + 1))
        })
      })
    }
    return loop(0)
  })

const totalTimeoutError = (millis: number) =>
  new UpstreamError({ reason: "Timeout", retryable: true, detail: `total budget of ${millis} ms spent` })

const attemptTimeoutTotal = (millis: number) => Effect.fail(totalTimeoutError(millis))

/**
 * A 2xx body read as JSON. A body that is not JSON is an `InvalidResponse` (or, `lenient`, no JSON); an empty body
 * reads as `undefined`.
 *
 * @internal
 */
export interface JsonBody {
  readonly status: number
  readonly headers: Headers.Headers
  readonly json: unknown
}

const parseJson = (
  status: number,
  response: { readonly headers: Headers.Headers },
  text: string,
  lenient: boolean
): Effect.Effect<JsonBody, UpstreamError> => {
  if (text === "") return Effect.succeed(jsonBody(status, response, undefined))
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    if (lenient) return Effect.succeed(jsonBody(status, response, undefined))
    return Effect.fail(
      invalidResponse(
        `the body is not JSON: ${text.slice(0, 200)}`,
        cause,
        status,
        response.headers["x-request-id"]
      )
    )
  }
  return Effect.succeed(jsonBody(status, response, json))
}

/** A body whose headers are read from `response` only when asked for. */
class JsonBodyImpl implements JsonBody {
  constructor(
    readonly status: number,
    private readonly response: { readonly headers: Headers.Headers },
    readonly json: unknown
  ) {}
  get headers(): Headers.Headers {
    return this.response.headers
  }
}

const jsonBody = (status: number, response: { readonly headers: Headers.Headers }, json: unknown): JsonBody =>
  new JsonBodyImpl(status, response, json)

/**
 * Reads a 2xx body as JSON. A body that is not JSON is an `InvalidResponse`; an empty body reads as `undefined`.
 *
 * @internal
 */
export const readJson = (
  response: HttpClientResponse.HttpClientResponse,
  lenient = false
): Effect.Effect<JsonBody, UpstreamError> =>
  Effect.flatMap(
    Effect.mapError(response.text, (error: HttpClientError.ResponseError) => fromRequestError(error)),
    (text) => parseJson(response.status, { headers: response.headers }, text, lenient)
  )

/**
 * Sends a request to `target` with retries, a per-attempt timeout and a total budget, and reads the 2xx body as
 * JSON: over the client's direct transport when it has one, else through `HttpClient`.
 *
 * @internal
 */
export const sendJson = (
  settings: Settings,
  target: Target,
  body: string | undefined,
  call: Call,
  lenient = false,
  limited?: LimitedCall | undefined
): Effect.Effect<JsonBody, TensormeshError> => {
  const direct = settings.direct
  const sent = direct !== undefined
    ? withRetries(
      target.route.method,
      call,
      (millis, clock) => directJsonAttempt(direct, directRequest(target, body, call), millis, clock, lenient),
      limited
    )
    : withRetries(
      target.route.method,
      call,
      (millis) => attempt(settings.httpClient, buildRequest(target, body, call), millis, (r) => readJson(r, lenient)),
      limited
    )
  return limited === undefined ? sent : Effect.tap(sent, (response) => limited.used(usageOf(response.json)))
}

const usageOf = (json: unknown): unknown =>
  typeof json === "object" && json !== null ? (json as { usage?: unknown }).usage : undefined

// ---------------------------------------------------------------------------------------------------------------
// streams
// ---------------------------------------------------------------------------------------------------------------

/**
 * A streaming response: its status and headers, and its body as network reads, with the idle timeout between
 * reads and transport failures typed. The body belongs to the scope the response was opened in (closing it
 * aborts the request).
 *
 * @internal
 */
export interface OpenedStream {
  readonly status: number
  readonly headers: Headers.Headers
  readonly body: Stream.Stream<Uint8Array, TensormeshError>
}

const idleTimeoutError = () =>
  new UpstreamError({ reason: "IdleTimeout", retryable: true, detail: "no stream data within the idle timeout" })

/** Past this much unread body, the direct transport is paused until the stream catches up. */
const HIGH_WATER_MARK = 64 * 1024

/**
 * The body of a direct exchange, buffered between network reads and the stream that pulls it: each pull takes
 * everything that arrived since the last one. With a `decoder`, each read is decoded to text as it arrives, so that
 * the transport's buffer is released at once rather than when the stream gets to it (with many streams at once,
 * buffers waiting for their stream outlive young-generation collections and hold memory until a full one).
 */
class DirectBody<A extends Uint8Array | string> {
  exchange: DirectExchange | undefined
  private chunks: Array<A> = []
  private size = 0
  private paused = false
  private ended = false
  private failure: TensormeshError | undefined
  private wake: (() => void) | undefined

  constructor(private readonly decoder: TextDecoder | undefined) {}

  onData(chunk: Uint8Array) {
    if (this.decoder === undefined) {
      this.add(chunk as A)
    } else {
      const text = this.decoder.decode(chunk, { stream: true })
      if (text.length > 0) this.add(text as A)
    }
    this.notify()
  }

  private add(piece: A) {
    this.chunks.push(piece)
    this.size += piece.length
    if (!this.paused && this.size > HIGH_WATER_MARK && this.exchange !== undefined) {
      this.paused = true
      this.exchange.pause()
    }
  }

  onEnd() {
    if (this.decoder !== undefined) {
      const text = this.decoder.decode()
      if (text.length > 0) this.chunks.push(text as A)
    }
    this.ended = true
    this.notify()
  }

  onError(cause: unknown) {
    this.failure ??= fromTransportCause(cause)
    this.notify()
  }

  private notify() {
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      wake()
    }
  }

  private take(): Effect.Effect<Chunk.Chunk<A> | undefined, TensormeshError> | undefined {
    if (this.chunks.length > 0) {
      const chunks = this.chunks
      this.chunks = []
      this.size = 0
      if (this.paused) {
        this.paused = false
        this.exchange?.resume()
      }
      return Effect.succeed(Chunk.unsafeFromArray(chunks))
    }
    if (this.failure !== undefined) return Effect.fail(this.failure)
    if (this.ended) return endOfBody
    return undefined
  }

  /**
   * The network reads that arrived since the last call (waiting for one if none did), `undefined` at the end of
   * the body; fails when no read arrives within `idle` milliseconds (no limit when `undefined`).
   */
  next(idle: number | undefined): Effect.Effect<Chunk.Chunk<A> | undefined, TensormeshError> {
    return this.take() ?? Effect.async((resume) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      this.wake = () => {
        if (timer !== undefined) clearTimeout(timer)
        resume(this.take()!)
      }
      if (idle !== undefined && idle <= MAX_TIMER_MILLIS) {
        timer = setTimeout(() => {
          this.wake = undefined
          resume(Effect.fail(idleTimeoutError()))
        }, idle)
      }
      return Effect.sync(() => {
        this.wake = undefined
        if (timer !== undefined) clearTimeout(timer)
      })
    })
  }
}

const endOfBody = Effect.succeed(undefined)

/**
 * A streaming response opened over a direct transport: its status and headers, and `next`, which gives the network
 * reads of the body as they come (`undefined` at the end), with the idle timeout between them.
 *
 * @internal
 */
export interface DirectOpened<A extends Uint8Array | string> {
  readonly status: number
  readonly headers: Headers.Headers
  readonly next: Effect.Effect<Chunk.Chunk<A> | undefined, TensormeshError>
}

/**
 * Where a direct stream keeps the way to abort its exchange, set as soon as an exchange starts (whoever holds it
 * aborts the request when done with it, whatever happened).
 *
 * @internal
 */
export interface Abortable {
  abort: (() => void) | undefined
}

/**
 * Opens a direct exchange and waits for its headers (the per-attempt timeout covers that wait); a non-2xx response
 * is read in full and fails with its typed error.
 */
const directOpen = <A extends Uint8Array | string>(
  direct: DirectTransport,
  request: DirectRequest,
  millis: number,
  clock: Clock.Clock,
  idleTimeout: Duration.Duration,
  holder: Abortable,
  decoder: (() => TextDecoder) | undefined
): Effect.Effect<DirectOpened<A>, TensormeshError> => {
  const live = isLiveClock(clock)
  const idle = Duration.toMillis(idleTimeout)
  const open = Effect.async<DirectOpened<A>, TensormeshError>((resume) => {
    let settled = false
    let status = 0
    let headers: Headers.Input = {}
    let timer: ReturnType<typeof setTimeout> | undefined
    // assigned once `exchange` returns; a transport may report before that (its handler then sees `undefined`)
    let exchange: DirectExchange | undefined = undefined
    /** The body once the status is 2xx; the error body is collected here otherwise. */
    let body: DirectBody<A> | undefined
    const errorChunks: Array<Uint8Array> = []
    const abort = () => exchange?.abort()
    const settle = (effect: Effect.Effect<DirectOpened<A>, TensormeshError>) => {
      if (settled) return
      settled = true
      if (timer !== undefined) clearTimeout(timer)
      resume(effect)
    }
    holder.abort = abort
    exchange = direct.exchange(request, {
      onStart: (s, h) => {
        status = s
        headers = h
        if (!statusOk(s) || settled) return
        const opened = new DirectBody<A>(decoder?.())
        opened.exchange = exchange
        body = opened
        const next = live
          ? Effect.suspend(() => opened.next(idle))
          : Effect.timeoutFail(Effect.suspend(() => opened.next(undefined)), {
            duration: idleTimeout,
            onTimeout: idleTimeoutError
          })
        settle(Effect.succeed({ status, headers: Headers.fromInput(headers), next }))
      },
      onData: (chunk) => {
        if (body !== undefined) body.onData(chunk)
        else errorChunks.push(chunk)
      },
      onEnd: () => {
        if (body !== undefined) return body.onEnd()
        if (settled) return
        let text = ""
        try {
          text = decodeUtf8(errorChunks)
        } catch {
          // an undecodable error body counts as none
        }
        settle(Effect.fail(fromStatus(status, Headers.fromInput(headers), text, clock.unsafeCurrentTimeMillis())))
      },
      onError: (cause) => {
        if (body !== undefined) return body.onError(cause)
        settle(Effect.fail(fromTransportCause(cause)))
      }
    })
    if (body !== undefined) body.exchange = exchange
    if (!settled && live && millis <= MAX_TIMER_MILLIS) {
      timer = setTimeout(() => {
        if (settled) return
        settled = true
        abort()
        resume(Effect.fail(attemptTimeout(millis)))
      }, millis)
    }
    return Effect.sync(() => {
      if (settled) return
      settled = true
      if (timer !== undefined) clearTimeout(timer)
      abort()
    })
  })
  return live ? open : Effect.timeoutFail(open, { duration: millis, onTimeout: () => attemptTimeout(millis) })
}

/**
 * Sends a streaming request over the settings' direct transport (which must be there) with the retry policy, and
 * waits for the headers; the body comes as text (`textDecoder()`'s) when `decoder` is given, else as bytes.
 * `holder` receives the way to abort the exchange: its owner aborts it when done.
 *
 * @internal
 */
export const openDirect = <A extends Uint8Array | string>(
  settings: Settings,
  target: Target,
  body: string,
  call: Call,
  holder: Abortable,
  decoder: (() => TextDecoder) | undefined,
  limited?: LimitedCall | undefined,
  hold?: Scope.Scope | undefined
): Effect.Effect<DirectOpened<A>, TensormeshError> => {
  const direct = settings.direct!
  const request = directRequest(target, body, call)
  return withRetries(
    target.route.method,
    call,
    (millis, clock) => directOpen<A>(direct, request, millis, clock, call.idleTimeout, holder, decoder),
    limited,
    hold
  )
}

/** The body of a generic streaming response: network reads, transport failures typed, the idle timeout between. */
const genericBody = (
  response: HttpClientResponse.HttpClientResponse,
  idle: Duration.Duration
): Stream.Stream<Uint8Array, TensormeshError> =>
  response.stream.pipe(
    Stream.mapError(fromRequestError),
    Stream.timeoutFail(idleTimeoutError, idle)
  )

/**
 * Sends a streaming request to `target`; the response is tied to the current scope (closing it aborts the
 * request). Retries happen only here, before the first byte of the body is read.
 *
 * @internal
 */
export const openStream = (
  settings: Settings,
  target: Target,
  body: string,
  call: Call,
  limited?: LimitedCall | undefined
): Effect.Effect<OpenedStream, TensormeshError, Scope.Scope> => {
  if (settings.direct !== undefined) {
    return Effect.flatMap(Effect.scope, (scope) => {
      const holder: Abortable = { abort: undefined }
      return Effect.zipRight(
        Scope.addFinalizer(scope, Effect.sync(() => holder.abort?.())),
        Effect.map(
          openDirect<Uint8Array>(settings, target, body, call, holder, undefined, limited, scope),
          (opened): OpenedStream => ({
            status: opened.status,
            headers: opened.headers,
            body: Stream.repeatEffectChunkOption(
              Effect.flatMap(
                Effect.mapError(opened.next, Option.some),
                (reads) => reads === undefined ? Effect.fail(Option.none()) : Effect.succeed(reads)
              )
            )
          })
        )
      )
    })
  }
  const request = buildRequest(target, body, call)
  return Effect.flatMap(Effect.scope, (scope) => {
    const client = scopedClient(settings.httpClient, scope)
    return withRetries(
      target.route.method,
      call,
      (millis) =>
        attempt(client, request, millis, (response) =>
          Effect.succeed<OpenedStream>({
            status: response.status,
            headers: response.headers,
            body: genericBody(response, call.idleTimeout)
          })),
      limited,
      scope
    )
  })
}

/** Aborts the request when `scope` closes (the transform provides it, which the types cannot see). */
const scopedClient = (client: HttpClient.HttpClient, scope: Scope.Scope): HttpClient.HttpClient =>
  HttpClient.transform(
    HttpClient.withScope(client),
    (effect) => Effect.provideService(effect, Scope.Scope, scope)
  ) as unknown as HttpClient.HttpClient
