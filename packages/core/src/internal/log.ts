import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type { TensormeshError } from "../TensormeshError.js"
import type * as Transport from "../Transport.js"
import { boundText, scrubSecrets } from "./errors.js"

// Request logs (the `logLevel` option, `TENSORMESH_LOG`): one line per attempt through Effect's `Logger`, at the
// level the setting names and above; secrets scrubbed from everything logged, bodies included.

/** @internal */
export type LogSetting = "debug" | "info" | "warn" | "off"

/** @internal */
export const LOG_VARIABLE = "TENSORMESH_LOG"

/** @internal */
export const isLogSetting = (value: unknown): value is LogSetting =>
  value === "debug" || value === "info" || value === "warn" || value === "off"

/** How much of a body a debug line shows. */
const MAX_LOGGED_BODY = 16 * 1024

const minimum = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  off: LogLevel.None
} as const

/** The request's headers as logged: the key and the user id never. */
const loggedHeaders = (headers: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const name in headers) {
    const lower = name.toLowerCase()
    out[name] = lower === "authorization" || lower === "x-user-id" || lower === "cookie" ? "[redacted]" : headers[name]
  }
  return out
}

/**
 * What one attempt ended with, for its log line.
 *
 * @internal
 */
export interface Outcome {
  readonly status: number | undefined
  readonly requestId: string | undefined
  /** The response body (debug only), as text or JSON. */
  readonly body?: unknown
}

/**
 * Runs one attempt and logs it: at `info` method, URL, status, milliseconds, attempt and request id; a failure at
 * `warn` with its (already scrubbed) message; at `debug` the request's headers and body and the response body.
 *
 * @internal
 */
export const loggedAttempt = <A>(
  setting: LogSetting,
  secrets: ReadonlyArray<string>,
  request: Transport.Request,
  attempt: number,
  nowMillis: () => number,
  run: Effect.Effect<A, TensormeshError>,
  outcome: (a: A) => Outcome
): Effect.Effect<A, TensormeshError> => {
  if (setting === "off") return run
  const startedAt = nowMillis()
  return Effect.onExit(run, (exit) => {
    const ms = nowMillis() - startedAt
    const annotations: Record<string, unknown> = {
      method: request.method,
      url: scrubSecrets(request.url, secrets),
      attempt,
      ms
    }
    let line: Effect.Effect<void>
    if (Exit.isSuccess(exit)) {
      const o = outcome(exit.value)
      annotations.status = o.status
      if (o.requestId !== undefined) annotations.requestId = scrubSecrets(o.requestId, secrets)
      if (setting === "debug") {
        annotations.requestHeaders = loggedHeaders(request.headers)
        if (request.body !== undefined) annotations.requestBody = boundText(request.body, MAX_LOGGED_BODY, secrets)
        if (o.body !== undefined) {
          const text = typeof o.body === "string" ? o.body : JSON.stringify(o.body) ?? ""
          annotations.responseBody = boundText(text, MAX_LOGGED_BODY, secrets)
        }
      }
      line = Effect.logInfo("tensormesh request")
    } else {
      if (Cause.isInterruptedOnly(exit.cause)) return Effect.void
      const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
      if (failure !== undefined) {
        annotations.error = failure._tag
        annotations.reason = failure.reason
        if (failure.status !== undefined) annotations.status = failure.status
        if (failure.requestId !== undefined) annotations.requestId = scrubSecrets(failure.requestId, secrets)
        annotations.message = scrubSecrets(failure.message, secrets)
      } else {
        annotations.error = "interrupted or defect"
      }
      if (setting === "debug") {
        annotations.requestHeaders = loggedHeaders(request.headers)
        if (request.body !== undefined) annotations.requestBody = boundText(request.body, MAX_LOGGED_BODY, secrets)
      }
      line = Effect.logWarning("tensormesh request failed")
    }
    return line.pipe(Effect.annotateLogs(annotations), Logger.withMinimumLogLevel(minimum[setting]))
  })
}
