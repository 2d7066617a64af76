import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import type { ValidationError } from "@tensormesh-effect/core"
import { Duration, Effect, Layer, Option, type Scope } from "effect"
import * as NodeTls from "node:tls"
import { configError } from "./config/errors.js"
import { readFile } from "./config/tm.js"

/**
 * undici's own per-request limits, in milliseconds (0 disables one).
 *
 * @internal
 */
export interface UndiciTimeouts {
  /** Time to receive the response headers. */
  readonly headersTimeout: number
  /** Longest gap between two chunks of the response body. */
  readonly bodyTimeout: number
}

/**
 * The SDK enforces its own timeouts (`timeout` until the headers or the whole body, `idleTimeout` between stream
 * events, both per call), so undici's 300 s defaults are switched off: they would cut long streams and slow
 * prefills whatever the SDK was told.
 *
 * @internal
 */
export const SDK_UNDICI_TIMEOUTS: UndiciTimeouts = { headersTimeout: 0, bodyTimeout: 0 }

/** @internal */
export const defaults = {
  keepAliveTimeout: Duration.seconds(10),
  keepAliveMaxTimeout: Duration.minutes(10),
  connectTimeout: Duration.seconds(10)
} as const

/**
 * @internal
 */
export interface Input {
  /** A PEM bundle to trust besides the system roots, and where the setting came from (for messages). */
  readonly caBundle?: { readonly path: string; readonly source: string } | undefined
  readonly keepAliveTimeout?: Duration.DurationInput | undefined
  readonly connectTimeout?: Duration.DurationInput | undefined
  readonly connections?: number | undefined
  /** Test hook: undici limits other than the SDK's. */
  readonly undiciTimeouts?: UndiciTimeouts | undefined
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/**
 * Reads a PEM bundle; fails when it cannot be read or holds no certificate.
 *
 * @internal
 */
export const readCaBundle = (
  path: string,
  source: string
): Effect.Effect<ReadonlyArray<string>, ValidationError, FileSystem.FileSystem> =>
  Effect.flatMap(readFile(path, "caBundle", source), (text) => {
    const certificates = text.match(PEM_CERTIFICATE) ?? []
    return certificates.length === 0
      ? Effect.fail(configError("caBundle", source, `${path}: no PEM certificate (-----BEGIN CERTIFICATE-----) found`))
      : Effect.succeed(certificates)
  })

const positiveMillis = (name: string, input: Duration.DurationInput | undefined, fallback: Duration.Duration) =>
  Effect.suspend(() => {
    if (input === undefined) return Effect.succeed(Duration.toMillis(fallback))
    const decoded = Duration.decodeUnknown(input)
    return Option.isSome(decoded) && Duration.toMillis(decoded.value) > 0 && Duration.isFinite(decoded.value)
      ? Effect.succeed(Math.ceil(Duration.toMillis(decoded.value)))
      : Effect.fail(configError(name, "option", "must be a positive, finite duration"))
  })

/**
 * An undici `Agent` (a keep-alive connection pool per origin) that trusts the CA bundle besides Node's root CAs,
 * and the timeouts that replace undici's own on every request; destroyed when the scope closes.
 *
 * @internal
 */
export const makeDispatcher = (
  input: Input
): Effect.Effect<
  { readonly agent: Undici.Dispatcher; readonly timeouts: UndiciTimeouts },
  ValidationError,
  Scope.Scope | FileSystem.FileSystem
> =>
  Effect.gen(function*() {
    const ca = input.caBundle === undefined
      ? undefined
      : [...NodeTls.rootCertificates, ...(yield* readCaBundle(input.caBundle.path, input.caBundle.source))]
    const keepAliveTimeout = yield* positiveMillis(
      "keepAliveTimeout",
      input.keepAliveTimeout,
      defaults.keepAliveTimeout
    )
    const connectTimeout = yield* positiveMillis("connectTimeout", input.connectTimeout, defaults.connectTimeout)
    const connections = input.connections
    if (connections !== undefined && !(Number.isSafeInteger(connections) && connections > 0)) {
      return yield* configError("connections", "option", "must be a whole number > 0")
    }
    const timeouts = input.undiciTimeouts ?? SDK_UNDICI_TIMEOUTS
    const agent = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new Undici.Agent({
          keepAliveTimeout,
          keepAliveMaxTimeout: Math.max(keepAliveTimeout, Duration.toMillis(defaults.keepAliveMaxTimeout)),
          connections: connections ?? null,
          headersTimeout: timeouts.headersTimeout,
          bodyTimeout: timeouts.bodyTimeout,
          connect: { timeout: connectTimeout, ...(ca === undefined ? {} : { ca }) }
        })
      ),
      (agent) => Effect.ignore(Effect.tryPromise(() => agent.destroy()))
    )
    return { agent, timeouts }
  })

/**
 * `NodeHttpClient.makeUndici` sets its own per-request limits (1 h for the headers, none for the body); the SDK's
 * replace them on every request, so the Agent's settings are the ones in force.
 */
const withTimeouts = (agent: Undici.Dispatcher, timeouts: UndiciTimeouts): Undici.Dispatcher =>
  agent.compose((dispatch) => (options, handler) =>
    dispatch({ ...options, headersTimeout: timeouts.headersTimeout, bodyTimeout: timeouts.bodyTimeout }, handler)
  )

// The direct transport protocol of `@tensormesh-effect/core` (its `internal/direct.ts`), restated here: the SDK's
// own requests skip the per-request work of `HttpClient` (URL parsing, an abort controller, a Node stream for the
// body, the generic client span) and go straight to undici's `dispatch`. Any `HttpClient` combinator returns a
// client without it, so wrapped clients keep working through `HttpClient`.

const DirectTransportId = Symbol.for("@tensormesh-effect/core/DirectTransport")

interface DirectRequest {
  readonly method: "GET" | "POST"
  readonly origin: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | undefined
}

interface DirectHandler {
  readonly onStart: (
    status: number,
    headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  ) => void
  readonly onData: (chunk: Uint8Array) => void
  readonly onEnd: () => void
  readonly onError: (cause: unknown) => void
}

interface DirectExchange {
  readonly abort: () => void
  readonly pause: () => void
  readonly resume: () => void
}

/**
 * One exchange over `agent` per request, reported to the SDK's handler as undici reports it: status and headers,
 * body pieces, end or error. An abort before the request reached a connection takes effect when it does.
 *
 * @internal
 */
export const directTransport = (agent: Undici.Dispatcher, timeouts: UndiciTimeouts) => ({
  exchange: (request: DirectRequest, handler: DirectHandler): DirectExchange => {
    let controller: Undici.Dispatcher.DispatchController | undefined
    let aborted = false
    let paused = false
    let done = false
    const dispatchHandler: Undici.Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c
        if (aborted) c.abort(new Undici.errors.RequestAbortedError())
        else if (paused) c.pause()
      },
      onResponseStart(_c, status, headers) {
        if (status >= 200) handler.onStart(status, headers)
      },
      onResponseData(_c, chunk) {
        handler.onData(chunk)
      },
      onResponseEnd() {
        done = true
        handler.onEnd()
      },
      onResponseError(_c, error) {
        done = true
        if (!aborted) handler.onError(error)
      }
    }
    try {
      agent.dispatch({
        origin: request.origin,
        path: request.path,
        method: request.method,
        headers: request.headers as Record<string, string>,
        body: request.body ?? null,
        headersTimeout: timeouts.headersTimeout,
        bodyTimeout: timeouts.bodyTimeout
      }, dispatchHandler)
    } catch (error) {
      done = true
      handler.onError(error)
    }
    return {
      abort: () => {
        if (aborted || done) return
        aborted = true
        controller?.abort(new Undici.errors.RequestAbortedError())
      },
      pause: () => {
        paused = true
        controller?.pause()
      },
      resume: () => {
        paused = false
        controller?.resume()
      }
    }
  }
})

/**
 * The Node transport: `NodeHttpClient.makeUndici` over the dispatcher of `makeDispatcher`, offering the SDK its
 * direct transport over the same connection pool.
 *
 * @internal
 */
export const make = (
  input: Input
): Effect.Effect<HttpClient.HttpClient, ValidationError, Scope.Scope | FileSystem.FileSystem> =>
  Effect.map(
    makeDispatcher(input),
    ({ agent, timeouts }) =>
      Object.defineProperty(NodeHttpClient.makeUndici(withTimeouts(agent, timeouts)), DirectTransportId, {
        value: directTransport(agent, timeouts)
      })
  )

/** @internal */
export const layer = (input: Input): Layer.Layer<HttpClient.HttpClient, ValidationError, FileSystem.FileSystem> =>
  Layer.scoped(HttpClient.HttpClient, make(input))
