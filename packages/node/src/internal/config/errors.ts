import { ValidationError } from "@tensormesh-effect/core/TensormeshError"

/**
 * A configuration failure: core's `ValidationError` with reason `InvalidConfig`, whose detail names the setting and
 * where its value came from, never the value itself.
 *
 * @internal
 */
export const configError = (
  setting: string,
  source: string | undefined,
  reason: string,
  cause?: unknown
): ValidationError =>
  new ValidationError({
    reason: "InvalidConfig",
    retryable: false,
    detail: source === undefined ? `${setting}: ${reason}` : `${setting} from ${source}: ${reason}`,
    issues: [{ path: [setting], message: reason }],
    ...(cause === undefined ? {} : { cause })
  })
