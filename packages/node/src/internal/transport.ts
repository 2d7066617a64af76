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
 * with undici's header and body timeouts replaced by the SDK's; destroyed when the scope closes.
 *
 * @internal
 */
export const makeDispatcher = (
  input: Input
): Effect.Effect<Undici.Dispatcher, ValidationError, Scope.Scope | FileSystem.FileSystem> =>
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
    // `NodeHttpClient.makeUndici` sets its own per-request limits (1 h for the headers, none for the body); the
    // SDK's replace them on every request, so the Agent's settings are the ones in force.
    return agent.compose((dispatch) => (options, handler) =>
      dispatch({ ...options, headersTimeout: timeouts.headersTimeout, bodyTimeout: timeouts.bodyTimeout }, handler)
    )
  })

/**
 * The Node transport: `NodeHttpClient.makeUndici` over the dispatcher of `makeDispatcher`.
 *
 * @internal
 */
export const make = (
  input: Input
): Effect.Effect<HttpClient.HttpClient, ValidationError, Scope.Scope | FileSystem.FileSystem> =>
  Effect.map(makeDispatcher(input), NodeHttpClient.makeUndici)

/** @internal */
export const layer = (input: Input): Layer.Layer<HttpClient.HttpClient, ValidationError, FileSystem.FileSystem> =>
  Layer.scoped(HttpClient.HttpClient, make(input))
