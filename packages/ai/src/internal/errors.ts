/**
 * `TensormeshError` → `AiError`, keeping the family, status, request id, retryability and `retryAfter`.
 *
 * @internal
 */
import * as AiError from "@effect/ai/AiError"
import { isTensormeshError, type TensormeshError } from "@tensormesh-effect/core"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"

/** @internal */
export interface Site {
  readonly module: string
  readonly method: string
  /** The route below the surface's base URL, e.g. `/chat/completions`. */
  readonly route: string
}

const MAX_BODY = 2000

const bodyText = (body: unknown): string | undefined => {
  if (body === undefined) return undefined
  let text: string
  if (typeof body === "string") {
    text = body
  } else {
    try {
      text = JSON.stringify(body) ?? String(body)
    } catch {
      text = String(body)
    }
  }
  return text.length > MAX_BODY ? `${text.slice(0, MAX_BODY)}…` : text
}

const retryAfterMillis = (error: TensormeshError): number | undefined =>
  error._tag === "UpstreamError" && error.retryAfter !== undefined ? Duration.toMillis(error.retryAfter) : undefined

/**
 * `<Family>.<reason> (HTTP status): detail [request id]; retryable; retry after N ms`.
 *
 * @internal
 */
export const describe = (error: TensormeshError): string => {
  const retryAfter = retryAfterMillis(error)
  return `${error._tag}.${error.message}; ${error.retryable ? "retryable" : "not retryable"}` +
    (retryAfter === undefined ? "" : `; retry after ${retryAfter} ms`)
}

const requestDetails = (site: Site) => ({
  method: "POST" as const,
  url: site.route,
  urlParams: [],
  hash: Option.none(),
  headers: {}
})

const responseHeaders = (error: TensormeshError): Record<string, string> => {
  const headers: Record<string, string> = {}
  if (error.requestId !== undefined) headers["x-request-id"] = error.requestId
  const retryAfter = retryAfterMillis(error)
  if (retryAfter !== undefined) headers["retry-after-ms"] = String(retryAfter)
  return headers
}

/**
 * The `AiError` of a failed Tensormesh call; the `TensormeshError` itself is its `cause`.
 *
 * @internal
 */
export const fromTensormeshError = (site: Site, error: TensormeshError): AiError.AiError => {
  const common = { module: site.module, method: site.method, description: describe(error), cause: error }
  switch (error.reason) {
    case "MissingApiKey":
      return new AiError.UnknownError(common)
    case "InvalidRequest":
    case "InvalidConfig":
      return new AiError.MalformedInput(common)
    case "ConnectionRefused":
    case "Connection":
    case "Timeout":
    case "IdleTimeout":
    case "StreamTruncated":
      return new AiError.HttpRequestError({ ...common, reason: "Transport", request: requestDetails(site) })
  }
  const body = bodyText(error.body)
  const decode = error.reason === "InvalidResponse" || error.reason === "EventTooLarge" ||
    error.reason === "StreamError"
  // `HttpResponseError` has no `cause` field: the error is kept as the standard `Error.cause`, which the constructor
  // sets from the props (validation is disabled for that one extra key only; every field is built right here).
  return new AiError.HttpResponseError(
    {
      module: site.module,
      method: site.method,
      description: common.description,
      reason: decode ? "Decode" : "StatusCode",
      request: requestDetails(site),
      // a stream error or an undecodable body came with a successful status
      response: { status: error.status ?? 200, headers: responseHeaders(error) },
      ...(body === undefined ? {} : { body }),
      cause: error
    } as ConstructorParameters<typeof AiError.HttpResponseError>[0],
    { disableValidation: true }
  )
}

/**
 * The `TensormeshError` behind an `AiError`, if any.
 *
 * @internal
 */
export const tensormeshError = (error: AiError.AiError): TensormeshError | undefined => {
  const cause = (error as { readonly cause?: unknown }).cause
  return isTensormeshError(cause) ? cause : undefined
}
