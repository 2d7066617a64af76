/**
 * The request's own `stream` flag, as the Python guide passes it (`with_streaming_response.create(..., stream=True)`)
 * and openai-node users write it. The method decides whether a call streams; the flag may only agree with it:
 *
 * - `create` / `withRawResponse.create`: no `stream`; `true` is a `ValidationError` that says to call
 *   `.stream(request)` (or `withStreamingResponse.create(request)` for the raw lines), and `false` one that says the
 *   method sets it.
 * - `stream` / `withStreamingResponse.create`: `stream` absent or `true`; `false` is a `ValidationError`.
 * - any other value: a `ValidationError`.
 *
 * The flag is removed before the request is checked against its schema (which does not model it); the method sets
 * the wire's `stream` itself.
 *
 * @internal
 */
import * as Either from "effect/Either"
import type { ValidationError } from "../TensormeshError.js"
import { invalidRequest as invalidRequestOf } from "./errors.js"

/** A refused `stream` flag: its issue names the field. */
const invalidRequest = (detail: string): ValidationError =>
  invalidRequestOf(detail, undefined, [{ path: ["stream"], message: detail.replace(/^stream: /, "") }])

/** The routes whose requests may carry `stream` (those with a streaming method). */
const streamingPaths = new Set(["/chat/completions", "/completions", "/responses"])

const withoutFlag = (request: object): object => {
  const { stream: _, ...rest } = request as { readonly stream?: unknown }
  return rest
}

const flagOf = (request: unknown): { readonly present: boolean; readonly value: unknown } =>
  typeof request === "object" && request !== null && Object.prototype.hasOwnProperty.call(request, "stream")
    ? { present: true, value: (request as { readonly stream?: unknown }).stream }
    : { present: false, value: undefined }

const notBoolean = (value: unknown) =>
  invalidRequest(`stream: must be a boolean, got ${value === null ? "null" : typeof value}`)

/**
 * `create` and `withRawResponse.create`: the request without `stream`, or why `stream` is refused.
 *
 * @internal
 */
export const forCreate = (request: unknown): Either.Either<unknown, ValidationError> => {
  const flag = flagOf(request)
  if (!flag.present || flag.value === undefined) return Either.right(flag.present ? withoutFlag(request!) : request)
  if (flag.value === true) {
    return Either.left(invalidRequest(
      "stream: true is not accepted by create: call .stream(request) for the chunks, or " +
        "withStreamingResponse.create(request) for the raw SSE lines"
    ))
  }
  if (flag.value === false) {
    return Either.left(invalidRequest("stream: is set by the method (create never streams): remove it"))
  }
  return Either.left(notBoolean(flag.value))
}

/**
 * `stream` and `withStreamingResponse.create`: the request without `stream`, or why `stream` is refused.
 *
 * @internal
 */
export const forStream = (request: unknown): Either.Either<unknown, ValidationError> => {
  const flag = flagOf(request)
  if (!flag.present || flag.value === undefined) return Either.right(flag.present ? withoutFlag(request!) : request)
  if (flag.value === true) return Either.right(withoutFlag(request as object))
  if (flag.value === false) {
    return Either.left(invalidRequest(
      "stream: false is not accepted by a streaming method (stream, withStreamingResponse.create): " +
        "call create(request) for the whole response"
    ))
  }
  return Either.left(notBoolean(flag.value))
}

/**
 * The policy of a call: `forStream` for a streaming method, `forCreate` for the others, on the routes that stream;
 * other routes' requests are left to their schema (which rejects `stream`).
 *
 * @internal
 */
export const checkStreamFlag = (
  path: string,
  request: unknown,
  streaming: boolean
): Either.Either<unknown, ValidationError> =>
  !streamingPaths.has(path) ? Either.right(request) : streaming ? forStream(request) : forCreate(request)
