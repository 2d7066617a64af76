/**
 * Error bodies in the shapes Tensormesh and vLLM send, and the failure type route handlers use.
 *
 * @internal
 */
import * as Data from "effect/Data"
import { STATUS_CODES } from "node:http"

/**
 * A request that ends in an error response: its status, its JSON body and extra headers.
 *
 * @internal
 */
export class ApiFailure extends Data.TaggedError("ApiFailure")<{
  readonly status: number
  readonly body: unknown
}> {}

const errorTypes: Record<number, string> = {
  400: "BadRequestError",
  401: "UnauthorizedError",
  403: "ForbiddenError",
  404: "NotFoundError",
  405: "MethodNotAllowedError",
  408: "RequestTimeoutError",
  409: "ConflictError",
  413: "PayloadTooLargeError",
  422: "UnprocessableEntityError",
  429: "RateLimitError",
  500: "InternalServerError",
  501: "NotImplementedError",
  502: "BadGatewayError",
  503: "ServiceUnavailableError",
  504: "GatewayTimeoutError"
}

/**
 * The vLLM error type name for a status, e.g. `BadRequestError` for 400.
 *
 * @internal
 */
export const errorType = (status: number): string =>
  errorTypes[status] ?? (status >= 500 ? "InternalServerError" : "Error")

const defaultMessages: Record<number, string> = {
  429: "Server is overloaded",
  500: "Internal server error"
}

/**
 * A default message for a status, e.g. `Server is overloaded` for 429.
 *
 * @internal
 */
export const defaultMessage = (status: number): string =>
  defaultMessages[status] ?? STATUS_CODES[status] ?? `HTTP ${status}`

/**
 * Shape A: `{"error":{"message","type","param","code"}}`.
 *
 * @internal
 */
export const nestedBody = (status: number, message: string, param: string | null = null) => ({
  error: { message, type: errorType(status), param, code: status }
})

/**
 * Shape B: `{"object":"error","message","type","param","code"}`.
 *
 * @internal
 */
export const flatBody = (status: number, message: string, param: string | null = null) => ({
  object: "error",
  message,
  type: errorType(status),
  param,
  code: status
})

/** @internal */
export const badRequest = (message: string, param: string | null = null): ApiFailure =>
  new ApiFailure({ status: 400, body: nestedBody(400, message, param) })

/** @internal */
export const notFound = (message: string, param: string | null = null): ApiFailure =>
  new ApiFailure({ status: 404, body: nestedBody(404, message, param) })

/** @internal */
export const unknownModel = (model: string): ApiFailure => notFound(`The model \`${model}\` does not exist.`, "model")

/** @internal */
export const unauthorized: ApiFailure = new ApiFailure({ status: 401, body: { error: "Unauthorized" } })
