/**
 * How a `TensormeshError` becomes an `@effect/ai` `AiError`, and how to get it back.
 *
 * | Tensormesh error | `AiError` |
 * |---|---|
 * | `AuthError` `MissingApiKey` (nothing sent) | `UnknownError` |
 * | `ValidationError` `InvalidRequest`, `InvalidConfig` (nothing sent) | `MalformedInput` |
 * | `AuthError` 401 / 403, `ValidationError` 400 / 404 / 413 / 422, `UpstreamError` 429 / 503 / 5xx / other status | `HttpResponseError` (`StatusCode`, the status) |
 * | `UpstreamError` `InvalidResponse`, `EventTooLarge`, `StreamError` | `HttpResponseError` (`Decode`) |
 * | `UpstreamError` `ConnectionRefused`, `Connection`, `Timeout`, `IdleTimeout`, `StreamTruncated` | `HttpRequestError` (`Transport`) |
 *
 * Every one keeps the `TensormeshError` as its `cause`, and says in its `description`
 * `<family>.<reason> (HTTP status): detail [request id]; retryable|not retryable; retry after N ms`. An
 * `HttpResponseError`'s response headers hold `x-request-id` and `retry-after-ms` when known; its request holds the
 * route only (`/chat/completions`, `/tokenize`) and no header, so neither the API key nor the user id can appear.
 *
 * @since 0.2.0
 */
import type * as AiError from "@effect/ai/AiError"
import type { TensormeshError } from "@tensormesh-effect/core"
import * as internal from "./internal/errors.js"

/**
 * The `AiError` of a failed Tensormesh call made by `module.method` on `route`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const fromTensormeshError: (
  site: { readonly module: string; readonly method: string; readonly route: string },
  error: TensormeshError
) => AiError.AiError = internal.fromTensormeshError

/**
 * The `TensormeshError` an `AiError` came from, if it came from one: branch on its family and `reason`, read
 * `retryAfter`.
 *
 * @since 0.2.0
 * @category getters
 */
export const tensormeshError: (error: AiError.AiError) => TensormeshError | undefined = internal.tensormeshError

/**
 * Whether the same call may succeed if made again later (the `retryable` of the `TensormeshError` behind it; false
 * for errors that did not come from Tensormesh, such as `MalformedOutput`).
 *
 * @since 0.2.0
 * @category getters
 */
export const isRetryable = (error: AiError.AiError): boolean => internal.tensormeshError(error)?.retryable === true
