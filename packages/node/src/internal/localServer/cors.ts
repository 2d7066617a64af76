/**
 * CORS for browser apps: the headers every reply carries, and the answer to a preflight. Off unless the server is
 * started with `cors`.
 *
 * @internal
 */
import type * as Api from "../../LocalServer.js"

/** @internal */
export interface Cors {
  /** The headers every reply to a request from `origin` carries (none when that origin is not allowed). */
  readonly headers: (origin: string | undefined) => Record<string, string>
  /** The headers of the 204 answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`). */
  readonly preflight: (origin: string | undefined, requestHeaders: string | undefined) => Record<string, string>
}

/** The headers a browser app reads from replies: request ids and retry hints. @internal */
export const EXPOSED_HEADERS = "x-request-id, retry-after, retry-after-ms"

/** What a preflight allows when the browser names no headers, or names them in a form we do not echo. @internal */
export const ALLOWED_HEADERS =
  "authorization, content-type, x-user-id, x-request-id, x-tensormesh-fault, x-tensormesh-token-delay-ms, traceparent, b3"

/** @internal */
export const ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS"

const MAX_AGE_SECONDS = "600"
const MAX_ECHOED_HEADERS = 1024
// A comma-separated list of header names (RFC 9110 tokens), the only form echoed back.
const HEADER_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/

/**
 * The CORS policy of the options, or `undefined` when CORS is off.
 *
 * @internal
 */
export const make = (option: Api.Options["cors"]): Cors | undefined => {
  if (option === undefined || option === false) return undefined
  const origins = option === true ? undefined : option.origins
  const allowOrigin = (origin: string | undefined): Record<string, string> => {
    if (origins === undefined) return { "access-control-allow-origin": "*" }
    return origin !== undefined && origins.includes(origin)
      ? { "access-control-allow-origin": origin, vary: "origin" }
      : { vary: "origin" }
  }
  return {
    headers: (origin) => {
      const allow = allowOrigin(origin)
      return allow["access-control-allow-origin"] === undefined
        ? allow
        : { ...allow, "access-control-expose-headers": EXPOSED_HEADERS }
    },
    preflight: (origin, requestHeaders) => {
      const allow = allowOrigin(origin)
      if (allow["access-control-allow-origin"] === undefined) return allow
      const requested = requestHeaders?.trim()
      const echo = requested !== undefined && requested.length > 0 && requested.length <= MAX_ECHOED_HEADERS &&
        HEADER_LIST.test(requested)
      return {
        ...allow,
        "access-control-allow-methods": ALLOWED_METHODS,
        "access-control-allow-headers": echo ? requested : ALLOWED_HEADERS,
        "access-control-max-age": MAX_AGE_SECONDS
      }
    }
  }
}
