/**
 * The defaults and the checks behind every layer's settings, shared by the core layers and the Node
 * configuration loader so both accept exactly the same values.
 *
 * @since 0.1.0
 */
import { Duration } from "effect"

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SERVERLESS_BASE_URL = "https://serverless.tensormesh.ai/v1"

/**
 * @since 0.1.0
 * @category constants
 */
export const defaults: {
  readonly timeout: Duration.Duration
  readonly maxRetries: number
  readonly idleTimeout: Duration.Duration
} = {
  timeout: Duration.minutes(10),
  maxRetries: 2,
  idleTimeout: Duration.minutes(5)
}

/**
 * Why `raw` is not a usable base URL (`undefined` when it is): it must be an http(s) URL without whitespace,
 * control characters, credentials, query or fragment. The reason never repeats the value.
 *
 * @since 0.1.0
 * @category validation
 */
export const baseUrlProblem = (raw: string): string | undefined => {
  if (/[\u0000-\u001f\u007f]/.test(raw) || /\s/.test(raw.trim())) {
    return "not a valid URL (it contains whitespace or control characters)"
  }
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return "not a valid URL"
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an http or https URL"
  if (url.username !== "" || url.password !== "") return "must not contain credentials (pass the API key as apiKey)"
  if (url.search !== "" || url.hash !== "") return "must not contain a query or fragment"
  return undefined
}

/**
 * The API base (trailing slashes removed) and the host root (one trailing `/v1` removed) of a valid base URL.
 *
 * @since 0.1.0
 * @category validation
 */
export const splitBaseUrl = (raw: string): { readonly apiBase: string; readonly root: string } => {
  const url = new URL(raw.trim())
  const apiBase = `${url.origin}${url.pathname}`.replace(/\/+$/, "")
  return { apiBase, root: apiBase.endsWith("/v1") ? apiBase.slice(0, -3) : apiBase }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Whether `value` has the form of a Tensormesh user id (a UUID).
 *
 * @since 0.1.0
 * @category validation
 */
export const isUserId = (value: string): boolean => UUID.test(value.trim())
