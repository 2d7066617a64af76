/**
 * vLLM's range checks on sampling parameters (`SamplingParams._verify_args`), with its messages: 400, `param` set
 * where vLLM sets it.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { type ApiFailure, badRequest } from "./errors.js"

/** @internal */
export interface SamplingNumbers {
  readonly temperature?: number | undefined
  readonly top_p?: number | undefined
  readonly top_k?: number | undefined
  readonly min_p?: number | undefined
  readonly presence_penalty?: number | undefined
  readonly frequency_penalty?: number | undefined
  readonly repetition_penalty?: number | undefined
  readonly min_tokens?: number | undefined
  readonly max_tokens?: number | undefined
}

/** A number as Python prints a float: `2.0`, `-5.0`, `inf`. */
const py = (x: number): string =>
  Number.isNaN(x) ? "nan" : x === Infinity ? "inf" : x === -Infinity ? "-inf" : Number.isInteger(x) ? `${x}.0` : `${x}`

const fail = (message: string, param: string | null = null) => Effect.fail(badRequest(message, param))

/**
 * Fails with the first parameter out of range, in vLLM's order.
 *
 * @internal
 */
export const checkRanges = (request: SamplingNumbers): Effect.Effect<void, ApiFailure> => {
  const {
    frequency_penalty,
    max_tokens,
    min_p,
    min_tokens,
    presence_penalty,
    repetition_penalty,
    temperature,
    top_k,
    top_p
  } = request
  if (presence_penalty !== undefined && !(presence_penalty >= -2 && presence_penalty <= 2)) {
    return fail(`presence_penalty must be in [-2, 2], got ${py(presence_penalty)}.`)
  }
  if (frequency_penalty !== undefined && !(frequency_penalty >= -2 && frequency_penalty <= 2)) {
    return fail(`frequency_penalty must be in [-2, 2], got ${py(frequency_penalty)}.`)
  }
  if (repetition_penalty !== undefined) {
    if (!Number.isFinite(repetition_penalty)) {
      return fail(`repetition_penalty must be a finite number, got ${py(repetition_penalty)}.`)
    }
    if (repetition_penalty <= 0) {
      return fail(`repetition_penalty must be greater than zero, got ${py(repetition_penalty)}.`)
    }
  }
  if (temperature !== undefined) {
    if (!Number.isFinite(temperature)) {
      return fail(`temperature must be a finite number, got ${py(temperature)}.`, "temperature")
    }
    if (temperature < 0) return fail(`temperature must be non-negative, got ${py(temperature)}.`, "temperature")
    if (temperature > 2) return fail(`temperature must be in [0, 2], got ${py(temperature)}.`, "temperature")
  }
  if (top_p !== undefined && !(top_p > 0 && top_p <= 1)) {
    return fail(`top_p must be in (0, 1], got ${py(top_p)}.`, "top_p")
  }
  if (top_k !== undefined && top_k < -1) return fail(`top_k must be 0 (disable), or at least 1, got ${top_k}.`)
  if (min_p !== undefined && !(min_p >= 0 && min_p <= 1)) return fail(`min_p must be in [0, 1], got ${py(min_p)}.`)
  if (max_tokens !== undefined && max_tokens < 1) {
    return fail(`max_tokens must be at least 1, got ${max_tokens}.`, "max_tokens")
  }
  if (min_tokens !== undefined) {
    if (min_tokens < 0) return fail(`min_tokens must be greater than or equal to 0, got ${min_tokens}.`)
    if (max_tokens !== undefined && min_tokens > max_tokens) {
      return fail(`min_tokens must be less than or equal to max_tokens=${max_tokens}, got ${min_tokens}.`)
    }
  }
  return Effect.void
}
