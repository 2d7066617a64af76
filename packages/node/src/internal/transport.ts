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

/** What one dispatch reports. */
interface Receiver {
  start(status: number, headers: LazyHeaders): void
  data(chunk: Uint8Array): void
  end(): void
  error(cause: unknown): void
}

// The per-request state below lives in class instances, not object literals or arrays: with many requests in
// flight V8 pretenures a literal's allocation site (its objects outlive a scavenge), and every object the response
// then stores into those old objects survives the scavenges after it. Measured at (b): see docs/performance.md.

/**
 * One undici dispatch: the request sent on a pooled connection, its events reported to the receiver; `abort` stops
 * it (also before it reached a connection), `pause`/`resume` apply backpressure to the body.
 */
class Dispatch implements Undici.Dispatcher.DispatchHandler {
  private controller: Undici.Dispatcher.DispatchController | undefined = undefined
  private stopped = false
  private paused = false
  private done = false

  constructor(private readonly on: Receiver) {}

  send(agent: Undici.Dispatcher, timeouts: UndiciTimeouts, request: Transport.Request): this {
    try {
      agent.dispatch({
        origin: request.origin,
        path: request.path,
        method: request.method,
        headers: request.headers as Record<string, string>,
        body: request.body ?? null,
        headersTimeout: timeouts.headersTimeout,
        bodyTimeout: timeouts.bodyTimeout
      }, this)
    } catch (error) {
      this.done = true
      this.on.error(error)
    }
    return this
  }

  onRequestStart(controller: Undici.Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.stopped) controller.abort(new Undici.errors.RequestAbortedError())
    else if (this.paused) controller.pause()
  }
  onResponseStart(
    controller: Undici.Dispatcher.DispatchController,
    status: number,
    headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  ): void {
    // undici keeps the raw header buffers on the controller for the whole exchange; nothing here reads them
    controller.rawHeaders = null
    if (status >= 200) this.on.start(status, new LazyHeaders(headers))
  }
  onResponseData(_controller: Undici.Dispatcher.DispatchController, chunk: Uint8Array): void {
    this.on.data(chunk)
  }
  onResponseEnd(): void {
    this.done = true
    this.on.end()
  }
  onResponseError(_controller: Undici.Dispatcher.DispatchController, error: Error): void {
    this.done = true
    if (!this.stopped) this.on.error(error)
  }

  abort(): void {
    if (this.stopped || this.done) return
    this.stopped = true
    this.controller?.abort(new Undici.errors.RequestAbortedError())
  }
  pause(): void {
    this.paused = true
    this.controller?.pause()
  }
  resume(): void {
    this.paused = false
    this.controller?.resume()
  }
}

const dispatch = (agent: Undici.Dispatcher, timeouts: UndiciTimeouts, request: Transport.Request, on: Receiver) =>
  new Dispatch(on).send(agent, timeouts, request)

const bodyTooLarge = (limit: number) =>
  new Transport.TransportError({ cause: new Error(`the body is larger than ${limit} bytes`), tooLarge: true })

/** A whole body being read for `send`: the pieces kept until the end, within `maxBytes`. */
class BodyReader implements Receiver {
  private settled = false
  private status = 0
  private headers: LazyHeaders | undefined = undefined
  // most bodies arrive in one piece: an array only from the second
  private first: Uint8Array | undefined = undefined
  private rest: Array<Uint8Array> | undefined = undefined
  private total = 0
  private exchange: Dispatch | undefined = undefined
  private removeListener: (() => void) | undefined = undefined

  constructor(
    private readonly limits: Transport.Limits,
    private readonly resume: (effect: Effect.Effect<Transport.Response, Transport.TransportError>) => void
  ) {}

  run(agent: Undici.Dispatcher, timeouts: UndiciTimeouts, request: Transport.Request): Effect.Effect<void> {
    const signal = this.limits.signal
    this.exchange = dispatch(agent, timeouts, request, this)
    if (!this.settled) this.removeListener = signal.onAbort(() => this.aborted())
    return Effect.sync(() => this.cancel())
  }

  start(status: number, headers: LazyHeaders): void {
    this.status = status
    this.headers = headers
  }
  data(chunk: Uint8Array): void {
    if (this.settled) return
    this.total += chunk.length
    if (this.total > this.limits.maxBytes) {
      this.exchange?.abort()
      return this.settle(Effect.fail(bodyTooLarge(this.limits.maxBytes)))
    }
    if (this.first === undefined) this.first = chunk
    else (this.rest ??= []).push(chunk)
  }
  end(): void {
    this.settle(Effect.succeed(new SentResponse(this.status, this.headers!, this.body())))
  }
  error(cause: unknown): void {
    this.settle(Effect.fail(new Transport.TransportError({ cause })))
  }

  private body(): Uint8Array {
    const first = this.first
    if (first === undefined) return new Uint8Array(0)
    const rest = this.rest
    if (rest === undefined) return first
    const all = new Uint8Array(this.total)
    all.set(first, 0)
    let offset = first.length
    for (const piece of rest) {
      all.set(piece, offset)
      offset += piece.length
    }
    return all
  }
  private aborted(): void {
    this.exchange?.abort()
    this.settle(Effect.fail(aborted(this.limits.signal)))
  }
  private settle(effect: Effect.Effect<Transport.Response, Transport.TransportError>): void {
    if (this.settled) return
    this.settled = true
    this.removeListener?.()
    this.resume(effect)
  }
  /** The fiber was interrupted: the request is aborted, whatever it had received. */
  private cancel(): void {
    if (this.settled) return
    this.settled = true
    this.removeListener?.()
    this.exchange?.abort()
  }
}

/** A body handed on as it arrives, for `open`: the response is given once its headers are in. */
class StreamReader implements Receiver {
  readonly body: Transport.Body
  private settled = false
  private exchange: Dispatch | undefined = undefined
  private removeListener: (() => void) | undefined = undefined
  private resume: ((effect: Effect.Effect<Transport.Opened, Transport.TransportError>) => void) | undefined = undefined

  constructor(private readonly signal: Transport.Signal) {
    this.body = Transport.makeBody({ onDrain: () => this.exchange?.resume() })
  }

  run(
    agent: Undici.Dispatcher,
    timeouts: UndiciTimeouts,
    request: Transport.Request,
    resume: (effect: Effect.Effect<Transport.Opened, Transport.TransportError>) => void
  ): Effect.Effect<void> | void {
    if (this.signal.aborted) return resume(Effect.fail(aborted(this.signal)))
    this.resume = resume
    this.removeListener = this.signal.onAbort(() => this.aborted())
    if (this.settled) return
    this.exchange = dispatch(agent, timeouts, request, this)
    return Effect.sync(() => {
      this.settled = true
      this.exchange?.abort()
    })
  }
  /** The scope closed. */
  release(): void {
    this.removeListener?.()
    this.exchange?.abort()
  }

  start(status: number, headers: LazyHeaders): void {
    this.settle(Effect.succeed(new OpenedResponse(status, headers, this.body.pull)))
  }
  data(chunk: Uint8Array): void {
    if (!this.body.offer(chunk)) this.exchange?.pause()
  }
  end(): void {
    this.body.end()
  }
  error(cause: unknown): void {
    const error = new Transport.TransportError({ cause })
    this.body.fail(error)
    this.settle(Effect.fail(error))
  }

  private aborted(): void {
    this.exchange?.abort()
    // a body read to its end is left as it is (the SDK aborts every exchange it is done with)
    if (this.body.done) return
    const error = aborted(this.signal)
    this.body.fail(error)
    this.settle(Effect.fail(error))
  }
  private settle(effect: Effect.Effect<Transport.Opened, Transport.TransportError>): void {
    if (this.settled) return
    this.settled = true
    this.resume?.(effect)
  }
}

/**
 * The SDK's transport over undici: `dispatch` on the pooled `agent`, no `HttpClient` in between. Redirects are
 * not followed (undici's dispatch never does).
 *
 * @internal
 */
export const nodeTransport = (agent: Undici.Dispatcher, timeouts: UndiciTimeouts): Transport.Service => ({
  send: (request, limits) =>
    Effect.async<Transport.Response, Transport.TransportError>((resume) => {
      if (limits.signal.aborted) return resume(Effect.fail(aborted(limits.signal)))
      return new BodyReader(limits, resume).run(agent, timeouts, request)
    }),
  open: (request, limits) =>
    Effect.flatMap(Effect.scope, (scope) => {
      const reader = new StreamReader(limits.signal)
      // the exchange ends with the scope, whatever happens to the stream that reads it
      return Effect.zipRight(
        Scope.addFinalizer(scope, Effect.sync(() => reader.release())),
        Effect.async<Transport.Opened, Transport.TransportError>((resume) =>
          reader.run(agent, timeouts, request, resume)
        )
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
