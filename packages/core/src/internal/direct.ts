import type * as Headers from "@effect/platform/Headers"
import type * as HttpClient from "@effect/platform/HttpClient"

// A protocol between the SDK and a transport that can do better than `HttpClient` for the SDK's own requests. It
// uses only platform-neutral types; `@tensormesh-effect/node` implements it over undici (matched structurally and
// by the global symbol, so neither package imports the other's internals).

/**
 * The key under which an `HttpClient` may also offer a direct transport: a lower-level way to send the SDK's
 * requests that skips the per-request machinery of `HttpClient` (the Node transport of `@tensormesh-effect/node`
 * offers one over undici). Any combinator applied to such a client returns a new client without it, so a
 * transformed client is always used through `HttpClient`.
 *
 * @internal
 */
export const DirectTransportId: unique symbol = Symbol.for("@tensormesh-effect/core/DirectTransport")

/** @internal */
export interface DirectRequest {
  readonly method: "GET" | "POST"
  /** `scheme://host[:port]` */
  readonly origin: string
  /** Path and query. */
  readonly path: string
  /** Lowercase names. */
  readonly headers: Readonly<Record<string, string>>
  /** A JSON body (`content-type` is among the headers). */
  readonly body: string | undefined
}

/**
 * What a direct transport reports about one exchange: `onStart` at most once (the final status and headers), then
 * `onData` for each piece of the body, then exactly one of `onEnd` and `onError` (`onError` alone when no response
 * came). Nothing needs to be reported after `abort`.
 *
 * @internal
 */
export interface DirectHandler {
  readonly onStart: (status: number, headers: Headers.Input) => void
  readonly onData: (chunk: Uint8Array) => void
  readonly onEnd: () => void
  readonly onError: (cause: unknown) => void
}

/** @internal */
export interface DirectExchange {
  /** Stops the exchange (the connection is not reused). */
  readonly abort: () => void
  /** Stops reading the body for now (backpressure). */
  readonly pause: () => void
  readonly resume: () => void
}

/** @internal */
export interface DirectTransport {
  readonly exchange: (request: DirectRequest, handler: DirectHandler) => DirectExchange
}

/** @internal */
export const directTransportOf = (client: HttpClient.HttpClient): DirectTransport | undefined => {
  const direct = (client as unknown as { readonly [DirectTransportId]?: DirectTransport })[DirectTransportId]
  return typeof direct === "object" && direct !== null && typeof direct.exchange === "function" ? direct : undefined
}
