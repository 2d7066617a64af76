import type * as Headers from "@effect/platform/Headers"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as Duration from "effect/Duration"
import type * as ParseResult from "effect/ParseResult"
import {
  AuthError,
  type TensormeshError,
  UpstreamError,
  ValidationError,
  type ValidationIssue
} from "../TensormeshError.js"

const MAX_TEXT = 2048

/**
 * At most this many characters of a server's message are kept as an error's `detail` (and so in its `message`).
 *
 * @internal
 */
export const MAX_DETAIL = 4096

/**
 * At most this many characters of a non-JSON error body are kept as `body`; of a JSON error body, at most this many
 * characters of its strings and keys in all.
 *
 * @internal
 */
export const MAX_BODY_TEXT = 16384

/**
 * At most this many values (objects, arrays, strings, numbers…) of a JSON error body are kept as `body`.
 *
 * @internal
 */
export const MAX_BODY_VALUES = 1024

/**
 * A JSON error body is kept as `body` down to this depth; a value deeper down is replaced by a note.
 *
 * @internal
 */
export const MAX_BODY_DEPTH = 32

/** At most this many characters of a non-JSON body (HTML from a proxy, plain text) become `detail`. */
const MAX_TEXT_DETAIL = 300

/** @internal */
export const truncate = (text: string, max = MAX_TEXT): string =>
  text.length <= max ? text : `${text.slice(0, max)}… (truncated, ${text.length} characters)`

const REDACTED = "[redacted]"

/**
 * A bearer credential in a server's text: `Bearer <token>` where the token has a digit, `-` or `_` (as keys do; so
 * that "a bearer token is required" is left alone). Linear: the lookahead and the token stop at the same character.
 */
const BEARER = /\b(Bearer[ \t]+)(?=[^\s"'<>,;]*[0-9_-])[^\s"'<>,;]+/gi

/**
 * The text with every occurrence of each secret (the API key, the user id) replaced by `[redacted]`, and any
 * `Bearer <token>` credential too (a server that echoes the header it got). Linear in the text.
 *
 * @internal
 */
export const scrubSecrets = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let out = text
  for (const secret of secrets) {
    if (secret.length > 0 && out.includes(secret)) out = out.split(secret).join(REDACTED)
  }
  return out.replace(BEARER, (_, bearer: string) => `${bearer}${REDACTED}`)
}

const longest = (secrets: ReadonlyArray<string>): number => {
  let max = 64
  for (const secret of secrets) max = Math.max(max, secret.length)
  return max
}

/**
 * At most `max` characters of a server's text, secrets scrubbed: only a window of the text is scrubbed (wide enough
 * that no secret can straddle the cut), so a 10 MB string costs what its first `max` characters cost.
 *
 * @internal
 */
export const boundText = (text: string, max: number, secrets: ReadonlyArray<string> = []): string => {
  if (text.length <= max) return scrubSecrets(text, secrets)
  const scrubbed = scrubSecrets(text.slice(0, max + longest(secrets)), secrets)
  return `${scrubbed.slice(0, max)}… (truncated, ${text.length} characters)`
}

/**
 * Markup removed from a text in one linear scan: from a `<` to the next `>` becomes a space (what
 * `text.replace(/<[^>]*>/g, " ")` does, without its quadratic backtracking on text full of `<`).
 *
 * @internal
 */
export const stripMarkup = (text: string): string => {
  let out = ""
  let from = 0
  while (from < text.length) {
    const open = text.indexOf("<", from)
    if (open === -1) break
    const close = text.indexOf(">", open + 1)
    // no `>` after this `<`: no later `<` can close either, the rest is text
    if (close === -1) break
    out += text.slice(from, open) + " "
    from = close + 1
  }
  return out + text.slice(from)
}

const DEPTH_NOTE = `[truncated: deeper than ${MAX_BODY_DEPTH} levels]`

const setKey = (target: Record<string, unknown>, key: string, value: unknown) => {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else target[key] = value
}

/**
 * A bounded copy of a parsed JSON value, made without recursion (breadth first, so the top of the body is kept
 * first): depth at most `MAX_BODY_DEPTH`, at most `MAX_BODY_VALUES` values and `MAX_BODY_TEXT` characters of
 * strings and keys in all, each string at most `MAX_DETAIL` characters, secrets scrubbed. What is left out is
 * noted in place (`[truncated: …]`, `"…": "N more keys"`, `"… N more items"`), so serialising or inspecting an
 * error never meets a deep or huge value.
 *
 * @internal
 */
export const boundJson = (value: unknown, secrets: ReadonlyArray<string> = []): unknown => {
  let values = MAX_BODY_VALUES
  let chars = MAX_BODY_TEXT
  const text = (s: string): string => {
    const kept = boundText(s, Math.max(0, Math.min(MAX_DETAIL, chars)), secrets)
    chars -= Math.min(s.length, MAX_DETAIL)
    return kept
  }
  const root: { value?: unknown } = {}
  const queue: Array<{ source: unknown; depth: number; set: (v: unknown) => void }> = [
    { source: value, depth: 0, set: (v) => void (root.value = v) }
  ]
  for (let head = 0; head < queue.length; head++) {
    const { depth, set, source } = queue[head]!
    queue[head] = undefined as never
    if (typeof source === "string") {
      set(text(source))
      continue
    }
    if (typeof source !== "object" || source === null) {
      set(source)
      continue
    }
    if (depth >= MAX_BODY_DEPTH) {
      set(DEPTH_NOTE)
      continue
    }
    if (Array.isArray(source)) {
      const target: Array<unknown> = []
      set(target)
      let i = 0
      for (; i < source.length && values > 0 && chars > 0; i++) {
        values--
        const index = target.push(undefined) - 1
        queue.push({ source: source[i], depth: depth + 1, set: (v) => void (target[index] = v) })
      }
      if (i < source.length) target.push(`… ${source.length - i} more items`)
      continue
    }
    const target: Record<string, unknown> = {}
    set(target)
    let left = 0
    for (const key in source) {
      if (!Object.prototype.hasOwnProperty.call(source, key)) continue
      if (values <= 0 || chars <= 0) {
        left++
        continue
      }
      values--
      const name = text(key)
      setKey(target, name, undefined)
      queue.push({
        source: (source as Record<string, unknown>)[key],
        depth: depth + 1,
        set: (v) => setKey(target, name, v)
      })
    }
    if (left > 0) setKey(target, "…", `${left} more keys`)
  }
  return root.value
}

/**
 * What an error body says, whatever its shape: nested `{"error":{message,…}}`, flat `{"object":"error",message}`,
 * `{"error":"Unauthorized"}`, FastAPI `{"detail":…}`, or non-JSON text (HTML from a proxy, plain text, empty).
 *
 * Linear in the text and bounded: `body` is the JSON as sent within the bounds of `boundJson`, or at most
 * `MAX_BODY_TEXT` characters of a non-JSON text; `detail` is at most `MAX_DETAIL` characters (300 of a non-JSON
 * text, markup stripped); truncations are noted (`… (truncated, N characters)`); `secrets` and bearer credentials
 * are scrubbed from both.
 *
 * @internal
 */
export const parseErrorBody = (
  text: string,
  secrets: ReadonlyArray<string> = []
): { readonly body: unknown; readonly detail: string | undefined } => {
  if (text.trim() === "") return { body: undefined, detail: undefined }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    const body = boundText(text, MAX_BODY_TEXT, secrets)
    const stripped = truncate(stripMarkup(body).replace(/\s+/g, " ").trim(), MAX_TEXT_DETAIL)
    return { body, detail: stripped === "" ? undefined : stripped }
  }
  const detail = detailOf(json)
  return {
    body: boundJson(json, secrets),
    detail: detail === undefined ? undefined : boundText(detail, MAX_DETAIL, secrets)
  }
}

const MAX_DETAIL_ITEMS = 16

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
    const items = detail.slice(0, MAX_DETAIL_ITEMS).map((d) => {
      if (typeof d !== "object" || d === null || typeof (d as Record<string, unknown>).msg !== "string") {
        return JSON.stringify(boundJson(d)) ?? String(d)
      }
      const msg = boundText((d as Record<string, unknown>).msg as string, MAX_DETAIL)
      const loc = (d as Record<string, unknown>).loc
      if (!Array.isArray(loc)) return msg
      const parts = loc.slice(0, MAX_DETAIL_ITEMS).map((part) =>
        typeof part === "string" ? boundText(part, 256) : typeof part === "number" ? String(part) : "?"
      )
      return `${msg} at ${parts.join(".")}`
    })
    return items.join("; ") + (detail.length > MAX_DETAIL_ITEMS ? `; … ${detail.length - MAX_DETAIL_ITEMS} more` : "")
  }
  return undefined
}

/**
 * The longest wait a retry hint is kept as: 24 hours. Past the retry policy's own cap (60 s) the SDK does not wait
 * and retry; it fails with the hint, capped here, so that `retryAfter` is always a finite, formattable duration.
 *
 * @internal
 */
export const MAX_RETRY_AFTER_HINT = 86_400_000

/**
 * `retry-after-ms` (milliseconds), else `Retry-After` (seconds or an HTTP date), as milliseconds from `now`, within
 * `[0, MAX_RETRY_AFTER_HINT]`. A negative, non-numeric or non-finite value counts as absent; a date in the past is
 * 0; anything longer is capped.
 *
 * @internal
 */
export const retryAfterMillis = (headers: Headers.Headers, now: number): number | undefined => {
  const ms = headers["retry-after-ms"]
  if (ms !== undefined) {
    const n = Number(ms)
    if (ms.trim() !== "" && Number.isFinite(n) && n >= 0) return Math.min(n, MAX_RETRY_AFTER_HINT)
  }
  const value = headers["retry-after"]
  if (value === undefined) return undefined
  const seconds = Number(value)
  if (value.trim() !== "" && !Number.isNaN(seconds)) {
    return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_HINT) : undefined
  }
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_HINT)
}

/** At most this many issues are kept (of a request, or of a server's answer). @internal */
export const MAX_ISSUES = 64

/** A path segment as an index when it is one. */
const segment = (part: string): string | number => /^(0|[1-9][0-9]{0,8})$/.test(part) ? Number(part) : part

/**
 * The fields a 400 / 422 body names (from the bounded body): OpenAI's and vLLM's `error.param` (or a flat `param`),
 * FastAPI's `detail[].loc` (its leading `body` dropped). None when the body names no field.
 *
 * @internal
 */
export const serverIssues = (body: unknown, detail: string | undefined): ReadonlyArray<ValidationIssue> => {
  if (typeof body !== "object" || body === null) return []
  const record = body as Record<string, unknown>
  const error = typeof record.error === "object" && record.error !== null
    ? record.error as Record<string, unknown>
    : record
  if (typeof error.param === "string" && error.param !== "") {
    return [{ path: error.param.split(".").slice(0, 32).map(segment), message: detail ?? "invalid" }]
  }
  if (!Array.isArray(record.detail)) return []
  const issues: Array<ValidationIssue> = []
  for (const item of record.detail.slice(0, MAX_ISSUES)) {
    if (typeof item !== "object" || item === null) continue
    const { loc, msg } = item as { loc?: unknown; msg?: unknown }
    if (!Array.isArray(loc) || typeof msg !== "string") continue
    const path = loc.slice(0, 32).filter((part): part is string | number =>
      typeof part === "string" || typeof part === "number"
    )
    issues.push({ path: path[0] === "body" ? path.slice(1) : path, message: msg })
  }
  return issues
}

/**
 * The typed error for a non-2xx response. Branches on the status, never on the body's `type`. `secrets` (the API
 * key, the user id) are scrubbed from `detail` and `body`.
 *
 * @internal
 */
export const fromStatus = (
  status: number,
  headers: Headers.Headers,
  text: string,
  now: number,
  secrets: ReadonlyArray<string> = []
): TensormeshError => {
  const { body, detail } = parseErrorBody(text, secrets)
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
      return new ValidationError({
        reason: "BadRequest",
        retryable: false,
        issues: serverIssues(body, detail),
        ...common
      })
    case 404:
      return new ValidationError({ reason: "NotFound", retryable: false, ...common })
    case 413:
      return new ValidationError({ reason: "PayloadTooLarge", retryable: false, ...common })
    case 422:
      return new ValidationError({
        reason: "UnprocessableEntity",
        retryable: false,
        issues: serverIssues(body, detail),
        ...common
      })
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
export const invalidRequest = (
  detail: string,
  cause?: ParseResult.ParseError,
  issues?: ReadonlyArray<ValidationIssue>
): ValidationError =>
  new ValidationError({
    reason: "InvalidRequest",
    retryable: false,
    detail,
    ...(issues === undefined ? {} : { issues }),
    ...(cause === undefined ? {} : { cause })
  })

/**
 * A setting that is not valid; `setting` (its name, e.g. `maxRetries` or `TENSORMESH_TIMEOUT`) is the issue's path.
 *
 * @internal
 */
export const invalidConfig = (detail: string, setting?: string, problem?: string): ValidationError =>
  new ValidationError({
    reason: "InvalidConfig",
    retryable: false,
    detail,
    ...(setting === undefined ? {} : { issues: [{ path: [setting], message: problem ?? detail }] })
  })
