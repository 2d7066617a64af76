import * as Undici from "@effect/platform-node/Undici"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type { ValidationError } from "@tensormesh-effect/core/TensormeshError"
import * as Transport from "@tensormesh-effect/core/Transport"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
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
  connectTimeout: Duration.seconds(10),
  /** Per origin: a burst of calls queues in the pool rather than opening sockets past common descriptor limits. */
  connections: 256
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
          connections: connections ?? defaults.connections,
          headersTimeout: timeouts.headersTimeout,
          bodyTimeout: timeouts.bodyTimeout,
          connect: { timeout: connectTimeout, ...(ca === undefined ? {} : { ca }) }
        })
      ),
      (agent) => Effect.ignore(Effect.tryPromise(() => agent.destroy()))
    )
    const missing = missingUndiciApi(agent)
    if (missing !== undefined) {
      return yield* configError(
        "transport",
        "runtime",
        `this runtime's undici has no ${missing} (e.g. Bun): use core's ServerlessLayer / OnDemandLayer with ` +
          "FetchHttpClient.layer from @effect/platform instead of the Node transport"
      )
    }
    return { agent, timeouts }
  })

/**
 * The undici API the Node transport needs that a runtime's undici may lack (Bun's has no `compose`), or
 * `undefined` when all is there.
 *
 * @internal
 */
export const missingUndiciApi = (agent: unknown): string | undefined => {
  const a = agent as { readonly dispatch?: unknown; readonly compose?: unknown; readonly destroy?: unknown }
  if (typeof a.dispatch !== "function") return "Agent.dispatch"
  if (typeof a.compose !== "function") return "Agent.compose"
  if (typeof a.destroy !== "function") return "Agent.destroy"
  return undefined
}

/**
 * `NodeHttpClient.makeUndici` sets its own per-request limits (1 h for the headers, none for the body); the SDK's
 * replace them on every request, so the Agent's settings are the ones in force.
 */
const withTimeouts = (agent: Undici.Dispatcher, timeouts: UndiciTimeouts): Undici.Dispatcher =>
  agent.compose((dispatch) => (options, handler) =>
    dispatch({ ...options, headersTimeout: timeouts.headersTimeout, bodyTimeout: timeouts.bodyTimeout }, handler)
  )

const headersOf = (raw: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>) =>
  Headers.fromInput(raw as Headers.Input)

/** The response's headers, converted from undici's only when read. */
class LazyHeaders {
  private converted: Headers.Headers | undefined
  constructor(private readonly raw: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>) {}
  get headers(): Headers.Headers {
    return this.converted ??= headersOf(this.raw)
  }
}

const aborted = (signal: Transport.Signal) => new Transport.TransportError({ cause: signal.reason })

/**
 * One undici dispatch: the request sent on a pooled connection, its events reported to `on`; `abort` stops it
 * (also before it reached a connection), `pause`/`resume` apply backpressure to the body.
 */
const dispatch = (
  agent: Undici.Dispatcher,
  timeouts: UndiciTimeouts,
  request: Transport.Request,
  on: {
    readonly start: (status: number, headers: LazyHeaders) => void
    readonly data: (chunk: Uint8Array) => void
    readonly end: () => void
    readonly error: (cause: unknown) => void
  }
) => {
  let controller: Undici.Dispatcher.DispatchController | undefined
  let stopped = false
  let paused = false
  let done = false
  const handler: Undici.Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c
      if (stopped) c.abort(new Undici.errors.RequestAbortedError())
      else if (paused) c.pause()
    },
    onResponseStart(_c, status, headers) {
      if (status >= 200) on.start(status, new LazyHeaders(headers))
    },
    onResponseData(_c, chunk) {
      on.data(chunk)
    },
    onResponseEnd() {
      done = true
      on.end()
    },
    onResponseError(_c, error) {
      done = true
      if (!stopped) on.error(error)
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
    }, handler)
  } catch (error) {
    done = true
    on.error(error)
  }
  return {
    abort: () => {
      if (stopped || done) return
      stopped = true
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

const concat = (pieces: ReadonlyArray<Uint8Array>, total: number): Uint8Array => {
  if (pieces.length === 1) return pieces[0]
  const all = new Uint8Array(total)
  let offset = 0
  for (const piece of pieces) {
    all.set(piece, offset)
    offset += piece.length
  }
  return all
}

const bodyTooLarge = (limit: number) =>
  new Transport.TransportError({ cause: new Error(`the body is larger than ${limit} bytes`), tooLarge: true })

/**
 * The SDK's transport over undici: `dispatch` on the pooled `agent`, no `HttpClient` in between. Redirects are
 * not followed (undici's dispatch never does).
 *
 * @internal
 */
export const nodeTransport = (agent: Undici.Dispatcher, timeouts: UndiciTimeouts): Transport.Service => ({
  send: (request, limits) =>
    Effect.async<Transport.Response, Transport.TransportError>((resume) => {
      const signal = limits.signal
      if (signal.aborted) return resume(Effect.fail(aborted(signal)))
      let settled = false
      let status = 0
      let headers: LazyHeaders | undefined
      const pieces: Array<Uint8Array> = []
      let total = 0
      let removeListener: (() => void) | undefined
      const settle = (effect: Effect.Effect<Transport.Response, Transport.TransportError>) => {
        if (settled) return
        settled = true
        removeListener?.()
        resume(effect)
      }
      const exchange = dispatch(agent, timeouts, request, {
        start: (s, h) => {
          status = s
          headers = h
        },
        data: (chunk) => {
          if (settled) return
          total += chunk.length
          if (total > limits.maxBytes) {
            exchange.abort()
            return settle(Effect.fail(bodyTooLarge(limits.maxBytes)))
          }
          pieces.push(chunk)
        },
        end: () => settle(Effect.succeed(new SentResponse(status, headers!, concat(pieces, total)))),
        error: (cause) => settle(Effect.fail(new Transport.TransportError({ cause })))
      })
      if (!settled) {
        removeListener = signal.onAbort(() => {
          exchange.abort()
          settle(Effect.fail(aborted(signal)))
        })
      }
      return Effect.sync(() => {
        if (settled) return
        settled = true
        removeListener?.()
        exchange.abort()
      })
    }),
  open: (request, limits) =>
    Effect.flatMap(Effect.scope, (scope) => {
      const signal = limits.signal
      let exchange: ReturnType<typeof dispatch> | undefined = undefined
      const body = Transport.makeBody({ onDrain: () => exchange?.resume() })
      let settle: ((effect: Effect.Effect<Transport.Opened, Transport.TransportError>) => void) | undefined
      const onAbort = () => {
        exchange?.abort()
        // a body read to its end is left as it is (the SDK aborts every exchange it is done with)
        if (body.done) return
        const error = aborted(signal)
        body.fail(error)
        settle?.(Effect.fail(error))
      }
      // the exchange ends with the scope, whatever happens to the stream that reads it
      let removeListener: (() => void) | undefined
      const release = Effect.sync(() => {
        removeListener?.()
        exchange?.abort()
      })
      return Effect.zipRight(
        Scope.addFinalizer(scope, release),
        Effect.async<Transport.Opened, Transport.TransportError>((resume) => {
          if (signal.aborted) return resume(Effect.fail(aborted(signal)))
          let settled = false
          settle = (effect) => {
            if (settled) return
            settled = true
            resume(effect)
          }
          removeListener = signal.onAbort(onAbort)
          if (settled) return
          exchange = dispatch(agent, timeouts, request, {
            start: (status, headers) => settle!(Effect.succeed(new OpenedResponse(status, headers, body.pull))),
            data: (chunk) => {
              if (!body.offer(chunk)) exchange?.pause()
            },
            end: () => body.end(),
            error: (cause) => {
              const error = new Transport.TransportError({ cause })
              body.fail(error)
              settle!(Effect.fail(error))
            }
          })
          return Effect.sync(() => {
            settled = true
            exchange?.abort()
          })
        })
      )
    })
})

class SentResponse implements Transport.Response {
  constructor(readonly status: number, private readonly lazy: LazyHeaders, readonly body: Uint8Array) {}
  get headers(): Headers.Headers {
    return this.lazy.headers
  }
}

class OpenedResponse implements Transport.Opened {
  constructor(
    readonly status: number,
    private readonly lazy: LazyHeaders,
    readonly pull: Transport.Opened["pull"]
  ) {}
  get headers(): Headers.Headers {
    return this.lazy.headers
  }
}

/**
 * The Node `HttpClient`: `NodeHttpClient.makeUndici` over the dispatcher of `makeDispatcher`. Its module is loaded
 * when such a client is built (~24 ms at start-up that the SDK's own transport never needs).
 *
 * @internal
 */
export const make = (
  input: Input
): Effect.Effect<HttpClient.HttpClient, ValidationError, Scope.Scope | FileSystem.FileSystem> =>
  Effect.flatMap(
    Effect.promise(() => import("@effect/platform-node/NodeHttpClient")),
    (NodeHttpClient) =>
      Effect.map(
        makeDispatcher(input),
        ({ agent, timeouts }) => NodeHttpClient.makeUndici(withTimeouts(agent, timeouts))
      )
  )

/** @internal */
export const layer = (input: Input): Layer.Layer<HttpClient.HttpClient, ValidationError, FileSystem.FileSystem> =>
  Layer.scoped(HttpClient.HttpClient, make(input))

/**
 * The SDK's Node transport over the dispatcher of `makeDispatcher`.
 *
 * @internal
 */
export const makeTransport = (
  input: Input
): Effect.Effect<Transport.Service, ValidationError, Scope.Scope | FileSystem.FileSystem> =>
  Effect.map(makeDispatcher(input), ({ agent, timeouts }) => nodeTransport(agent, timeouts))

/** @internal */
export const layerTransport = (
  input: Input
): Layer.Layer<Transport.Transport, ValidationError, FileSystem.FileSystem> =>
  Layer.scoped(Transport.Transport, makeTransport(input))
