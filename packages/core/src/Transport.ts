/**
 * The transport seam: how the SDK's requests reach the network. Everything above it (URLs and headers, the key
 * check, retries, timeouts, status mapping, SSE decoding, spans) is written once and runs on any transport.
 *
 * Two implementations ship: `Transport.fromHttpClient` over any `@effect/platform` `HttpClient` (fetch, Bun,
 * Deno, browsers, edge runtimes; every `HttpClient` combinator keeps working), and the Node undici transport of
 * `@tensormesh-effect/node`. `ServerlessLayer` / `OnDemandLayer` build the first from the `HttpClient` in context;
 * `ServerlessLayer.withTransport` / `OnDemandLayer.withTransport` take any `Transport` instead.
 *
 * @since 0.2.0
 */
import type * as Headers from "@effect/platform/Headers"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/httpTransport.js"

/**
 * One request as the SDK sends it: the URL (also split into origin and path, as most clients want them), the
 * headers (lowercase names, complete: the transport adds none of its own that matter) and a JSON body.
 *
 * @since 0.2.0
 * @category models
 */
export interface Request {
  readonly method: "GET" | "POST"
  readonly url: string
  /** `scheme://host[:port]` */
  readonly origin: string
  /** Path and query, as sent on the request line. */
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | undefined
}

/**
 * A response read in full.
 *
 * @since 0.2.0
 * @category models
 */
export interface Response {
  readonly status: number
  readonly headers: Headers.Headers
  readonly body: Uint8Array
}

/**
 * A response whose body is read piece by piece: `pull` gives the pieces that arrived since the last pull (waiting
 * for at least one), and `undefined` once the body has ended.
 *
 * @since 0.2.0
 * @category models
 */
export interface Opened {
  readonly status: number
  readonly headers: Headers.Headers
  readonly pull: Effect.Effect<Chunk.Chunk<Uint8Array> | undefined, TransportError>
}

/**
 * The abort signal of one exchange: the SDK fires it when a timeout expires or the call ends early. A small
 * interface rather than a DOM `AbortSignal`, which costs more to create than a whole exchange's other bookkeeping
 * (an `AbortSignal` is adapted with `toAbortSignal` where a client wants one).
 *
 * @since 0.2.0
 * @category models
 */
export interface Signal {
  readonly aborted: boolean
  /** Why it fired (an `Error`), once it has. */
  readonly reason: unknown
  /** Calls `listener` once when the signal fires (at once if it has); the returned function removes it. */
  readonly onAbort: (listener: () => void) => () => void
}

/**
 * An `AbortSignal` that fires with `signal` (for clients that take one, e.g. `fetch`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const toAbortSignal = (signal: Signal): AbortSignal => {
  const controller = new AbortController()
  signal.onAbort(() => controller.abort(signal.reason))
  return controller.signal
}

/**
 * How the SDK limits one exchange. `signal` aborts it: a transport fails a pending `send` or `pull` promptly with
 * a `TransportError` when it fires (the SDK's timeouts use it). `maxBytes` bounds the body `send` reads (after
 * any decompression): past it the transport stops reading and fails with `TransportError` (`tooLarge`). A body
 * of `open` is not bounded in total (a stream may be long): the SDK bounds each event and any error body itself.
 *
 * @since 0.2.0
 * @category models
 */
export interface Limits {
  readonly signal: Signal
  readonly maxBytes: number
}

/**
 * A failure of the transport itself: no response, a broken connection, an aborted exchange, a body over its
 * limit. `cause` is the transport's own error; the SDK maps it to `UpstreamError` reasons the same way for every
 * transport (`ConnectionRefused`, `Connection`, ...).
 *
 * @since 0.2.0
 * @category errors
 */
export class TransportError
  extends Schema.TaggedError<TransportError>("@tensormesh-effect/core/TransportError")("TransportError", {
    cause: Schema.Defect,
    /** The body grew past `Limits.maxBytes`. */
    tooLarge: Schema.optional(Schema.Boolean)
  })
{}

/**
 * The two operations a transport offers. `send` sends a request and reads the whole body; `open` sends one and
 * gives its status and headers once they arrive, with the body to pull, inside a `Scope`: closing the scope
 * aborts the exchange (and so does interrupting either operation).
 *
 * @since 0.2.0
 * @category models
 */
export interface Service {
  readonly send: (request: Request, limits: Limits) => Effect.Effect<Response, TransportError>
  readonly open: (request: Request, limits: Limits) => Effect.Effect<Opened, TransportError, Scope.Scope>
}

/**
 * The transport the surface layers built with `withTransport` send through.
 *
 * @since 0.2.0
 * @category tags
 */
export class Transport extends Context.Tag("@tensormesh-effect/core/Transport")<Transport, Service>() {}

/**
 * A transport over an `HttpClient`. The platform's own client span and trace headers are switched off (the SDK
 * makes one span per call and propagates trace context itself when asked), and redirects are not followed.
 *
 * @since 0.2.0
 * @category constructors
 */
export const fromHttpClient: (client: HttpClient.HttpClient) => Service = internal.fromHttpClient

/**
 * `Transport` from the `HttpClient` in context.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerHttpClient: Layer.Layer<Transport, never, HttpClient.HttpClient> = Layer.effect(
  Transport,
  internal.fromContext
)

/**
 * A body buffer for transport implementations: the network side `offer`s pieces and `end`s or `fail`s it; the
 * SDK side `pull`s. `offer` returns `false` once more than `highWaterMark` bytes (64 KiB by default) wait
 * unread: pause reading until `onDrain` is called back. Past `maxBytes` in total it fails itself (`tooLarge`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeBody: (options: {
  readonly maxBytes?: number | undefined
  readonly highWaterMark?: number | undefined
  readonly onDrain?: (() => void) | undefined
}) => Body = internal.makeBody

/**
 * @since 0.2.0
 * @category models
 */
export interface Body {
  readonly offer: (piece: Uint8Array) => boolean
  readonly end: () => void
  /** Fails the body (ignored once it has ended: a body read whole stays whole). */
  readonly fail: (error: TransportError) => void
  /** Whether the body has ended or failed. */
  readonly done: boolean
  readonly pull: Effect.Effect<Chunk.Chunk<Uint8Array> | undefined, TransportError>
}
