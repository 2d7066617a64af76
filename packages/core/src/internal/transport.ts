import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Clock, Duration, Effect, Either, Random, Redacted } from "effect"
import * as Scope from "effect/Scope"
import type { CallOptions } from "../ClientOptions.js"
import { AuthError, type TensormeshError, UpstreamError } from "../TensormeshError.js"
import { fromRequestError, fromStatus, invalidResponse } from "./errors.js"
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
}

/** @internal */
export const resolveCall = (
  settings: Settings,
  options: CallOptions | undefined
): Effect.Effect<Call, TensormeshError> =>
  options === undefined ? Effect.succeed(layerCall(settings)) : Effect.map(resolveTimings(options), (t) => {
    const timeout = t.timeout ?? settings.timeout
    return {
      timeout: Duration.toMillis(timeout),
      totalTimeout: Duration.toMillis(t.totalTimeout ?? (t.timeout ? timeout : settings.totalTimeout ?? timeout)),
      maxRetries: t.maxRetries ?? settings.maxRetries,
      idleTimeout: t.idleTimeout ?? settings.idleTimeout,
      headers: options.headers
    }
  })

const layerCalls = new WeakMap<Settings, Call>()
const layerCall = (settings: Settings): Call => {
  let call = layerCalls.get(settings)
  if (call === undefined) {
    const timeout = Duration.toMillis(settings.timeout)
    call = {
      timeout,
      totalTimeout: settings.totalTimeout === undefined ? timeout : Duration.toMillis(settings.totalTimeout),
      maxRetries: settings.maxRetries,
      idleTimeout: settings.idleTimeout,
      headers: undefined
    }
    layerCalls.set(settings, call)
  }
  return call
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
    ? Effect.fail(
      new AuthError({
        reason: "MissingApiKey",
        retryable: false,
        detail: `${route.method} ${route.path} needs an inference API key (set apiKey or TENSORMESH_INFERENCE_API_KEY)`
      })
    )
    : Effect.void

const buildRequest = (
  settings: Settings,
  route: Route,
  body: string | undefined,
  call: Call,
  accept: string
): HttpClientRequest.HttpClientRequest => {
  const headers: Record<string, string> = { ...settings.headers, ...call.headers }
  headers["user-agent"] = USER_AGENT
  headers["accept"] = accept
  if (settings.apiKey !== undefined) headers["authorization"] = `Bearer ${Redacted.value(settings.apiKey)}`
  if (settings.userId !== undefined) headers["x-user-id"] = Redacted.value(settings.userId)
  const url = `${route.root ? settings.root : settings.apiBase}${route.path}`
  return HttpClientRequest.make(route.method)(url, {
    headers: Headers.fromInput(headers),
    ...(body === undefined ? {} : { body: HttpBody.text(body, "application/json") })
  } as HttpClientRequest.Options.NoUrl)
}

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
      response.status >= 200 && response.status < 300
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
  (error.retryAfterMillis === undefined || error.retryAfterMillis <= MAX_RETRY_AFTER)

/**
 * Exponential backoff, 0.5 s doubling up to 8 s, with up to 25% jitter taken off (Effect's `Random`, so tests can
 * seed it).
 *
 * @internal
 */
export const backoff = (retry: number): Effect.Effect<number> =>
  Effect.map(Random.next, (r) => Math.min(500 * 2 ** retry, 8000) * (1 - 0.25 * r))

/**
 * Sends `route` with retries, a per-attempt timeout and a total budget, and hands the 2xx response to `read`.
 *
 * @internal
 */
export const send = <A>(
  settings: Settings,
  route: Route,
  body: string | undefined,
  call: Call,
  accept: string,
  read: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, TensormeshError>,
  client: HttpClient.HttpClient = settings.httpClient
): Effect.Effect<A, TensormeshError> =>
  Effect.gen(function*() {
    const request = buildRequest(settings, route, body, call, accept)
    const start = yield* Clock.currentTimeMillis
    for (let retry = 0;; retry++) {
      const now = yield* Clock.currentTimeMillis
      const remaining = call.totalTimeout - (now - start)
      if (remaining <= 0) return yield* attemptTimeoutTotal(call.totalTimeout)
      const result = yield* Effect.either(attempt(client, request, Math.min(call.timeout, remaining), read))
      if (Either.isRight(result)) return result.right
      const error = result.left
      if (retry >= call.maxRetries || !mayRetry(route.method, error)) return yield* Effect.fail(error)
      const delay = Math.max(yield* backoff(retry), error.retryAfterMillis ?? 0)
      const elapsed = (yield* Clock.currentTimeMillis) - start
      if (elapsed + delay >= call.totalTimeout) return yield* Effect.fail(error)
      yield* Effect.sleep(delay)
    }
  })

const attemptTimeoutTotal = (millis: number) =>
  Effect.fail(new UpstreamError({ reason: "Timeout", retryable: true, detail: `total budget of ${millis} ms spent` }))

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
    (text) => {
      const requestId = response.headers["x-request-id"]
      if (text === "") return Effect.succeed({ status: response.status, headers: response.headers, json: undefined })
      try {
        return Effect.succeed({ status: response.status, headers: response.headers, json: JSON.parse(text) })
      } catch (cause) {
        if (lenient) return Effect.succeed({ status: response.status, headers: response.headers, json: undefined })
        return Effect.fail(
          invalidResponse(`the body is not JSON: ${text.slice(0, 200)}`, cause, response.status, requestId)
        )
      }
    }
  )

/** @internal */
export interface JsonBody {
  readonly status: number
  readonly headers: Headers.Headers
  readonly json: unknown
}

/** @internal */
export type ScopedResponse = Effect.Effect<HttpClientResponse.HttpClientResponse, TensormeshError, Scope.Scope>

/**
 * Sends a streaming request; the response is tied to the current scope (closing it aborts the request). Retries
 * happen only here, before the first byte of the body is read.
 *
 * @internal
 */
export const sendStreaming = (settings: Settings, route: Route, body: string, call: Call): ScopedResponse =>
  Effect.flatMap(
    Effect.scope,
    (scope) =>
      send(settings, route, body, call, "text/event-stream", Effect.succeed, scopedClient(settings.httpClient, scope))
  )

/** Aborts the request when `scope` closes (the transform provides it, which the types cannot see). */
const scopedClient = (client: HttpClient.HttpClient, scope: Scope.Scope): HttpClient.HttpClient =>
  HttpClient.transform(
    HttpClient.withScope(client),
    (effect) => Effect.provideService(effect, Scope.Scope, scope)
  ) as unknown as HttpClient.HttpClient
