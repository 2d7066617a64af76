import type * as Headers from "@effect/platform/Headers"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import { Duration, type ParseResult } from "effect"
import { AuthError, type TensormeshError, UpstreamError, ValidationError } from "../TensormeshError.js"

const MAX_TEXT = 2048

/** @internal */
export const truncate = (text: string, max = MAX_TEXT): string =>
  text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`

/**
 * What an error body says, whatever its shape: nested `{"error":{message,…}}`, flat `{"object":"error",message}`,
 * `{"error":"Unauthorized"}`, FastAPI `{"detail":…}`, or non-JSON text (HTML from a proxy, plain text, empty).
 *
 * @internal
 */
export const parseErrorBody = (text: string): { readonly body: unknown; readonly detail: string | undefined } => {
  if (text.trim() === "") return { body: undefined, detail: undefined }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    const stripped = truncate(text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim(), 300)
    return { body: truncate(text), detail: stripped === "" ? undefined : stripped }
  }
  return { body: json, detail: detailOf(json) }
}

const detailOf = (json: unknown): string | undefined => {
  if (typeof json === "string") return json
  if (typeof json !== "object" || json === null) return undefined
  const record = json as Record<string, unknown>
  const error = record.error
  if (typeof error === "string") return error
  if (typeof error === "object" && error !== null && typeof (error as Record<string, unknown>).message === "string") {
    return (error as Record<string, unknown>).message as string
  }
  if (typeof record.message === "string") return record.message
  const detail = record.detail
  if (typeof detail === "string") return detail
  if (Array.isArray(detail)) {
    return detail.map((d) =>
      typeof d === "object" && d !== null && typeof (d as Record<string, unknown>).msg === "string"
        ? `${(d as Record<string, unknown>).msg}` +
          (Array.isArray((d as Record<string, unknown>).loc)
            ? ` at ${(d as { loc: Array<unknown> }).loc.join(".")}`
            : "")
        : JSON.stringify(d)
    ).join("; ")
  }
  return undefined
}

/**
 * `retry-after-ms` (milliseconds), else `Retry-After` (seconds or an HTTP date), as milliseconds from `now`.
 *
 * @internal
 */
export const retryAfterMillis = (headers: Headers.Headers, now: number): number | undefined => {
  const ms = headers["retry-after-ms"]
  if (ms !== undefined) {
    const n = Number(ms)
    if (Number.isFinite(n) && n >= 0) return n
  }
  const value = headers["retry-after"]
  if (value === undefined) return undefined
  const seconds = Number(value)
  if (value.trim() !== "" && Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * The typed error for a non-2xx response. Branches on the status, never on the body's `type`.
 *
 * @internal
 */
export const fromStatus = (
  status: number,
  headers: Headers.Headers,
  text: string,
  now: number
): TensormeshError => {
  const { body, detail } = parseErrorBody(text)
  const requestId = headers["x-request-id"]
  const common = {
    status,
    body,
    ...(detail === undefined ? {} : { detail }),
    ...(requestId === undefined ? {} : { requestId })
  }
  switch (status) {
    case 401:
      return new AuthError({ reason: "Unauthorized", retryable: false, ...common })
    case 403:
      return new AuthError({ reason: "Forbidden", retryable: false, ...common })
    case 400:
      return new ValidationError({ reason: "BadRequest", retryable: false, ...common })
    case 404:
      return new ValidationError({ reason: "NotFound", retryable: false, ...common })
    case 413:
      return new ValidationError({ reason: "PayloadTooLarge", retryable: false, ...common })
    case 422:
      return new ValidationError({ reason: "UnprocessableEntity", retryable: false, ...common })
  }
  const retryAfter = retryAfterMillis(headers, now)
  const withRetryAfter = retryAfter === undefined ? common : { ...common, retryAfter: Duration.millis(retryAfter) }
  if (status === 429) return new UpstreamError({ reason: "RateLimited", retryable: true, ...withRetryAfter })
  if (status === 503) return new UpstreamError({ reason: "Unavailable", retryable: true, ...withRetryAfter })
  if (status >= 500) return new UpstreamError({ reason: "ServerError", retryable: true, ...withRetryAfter })
  return new UpstreamError({
    reason: "UnexpectedStatus",
    retryable: status === 408 || status === 409,
    ...withRetryAfter
  })
}

const errorCode = (cause: unknown): string | undefined => {
  let current: unknown = cause
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string") return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * A transport failure. The message stays generic; the transport's own error is kept as `cause` (it never holds
 * request headers).
 *
 * @internal
 */
export const fromRequestError = (error: HttpClientError.HttpClientError): UpstreamError => {
  if (error._tag === "RequestError" && error.reason === "InvalidUrl") {
    return new UpstreamError({ reason: "Connection", retryable: false, detail: "invalid URL", cause: error.cause })
  }
  return fromTransportCause(error.cause)
}

/**
 * A transport failure from the transport's own error (what `fromRequestError` finds as the `cause` of an
 * `HttpClientError`): same reasons, same messages.
 *
 * @internal
 */
export const fromTransportCause = (cause: unknown): UpstreamError => {
  const code = errorCode(cause)
  if (code === "ECONNREFUSED") {
    return new UpstreamError({ reason: "ConnectionRefused", retryable: true, detail: "connection refused", cause })
  }
  return new UpstreamError({
    reason: "Connection",
    retryable: true,
    detail: code === undefined ? "connection failed" : `connection failed (${code})`,
    cause
  })
}

/** @internal */
export const invalidResponse = (what: string, cause: unknown, status?: number, requestId?: string): UpstreamError =>
  new UpstreamError({
    reason: "InvalidResponse",
    retryable: false,
    detail: what,
    cause,
    ...(status === undefined ? {} : { status }),
    ...(requestId === undefined ? {} : { requestId })
  })

/** @internal */
export const invalidRequest = (detail: string, cause?: ParseResult.ParseError): ValidationError =>
  new ValidationError({
    reason: "InvalidRequest",
    retryable: false,
    detail,
    ...(cause === undefined ? {} : { cause })
  })

/** @internal */
export const invalidConfig = (detail: string): ValidationError =>
  new ValidationError({ reason: "InvalidConfig", retryable: false, detail })
