/**
 * The three failure families of the SDK: `AuthError`, `ValidationError` and `UpstreamError`.
 *
 * Branch on them with `Effect.catchTag`; inside a family, branch on `reason`. Every error says whether it is
 * `retryable`, carries the HTTP `status` and request id when there was a response, and the parsed error body.
 * None ever carries the API key or the on-demand user id.
 *
 * @example
 * ```ts
 * import { type TensormeshError, UpstreamError } from "@tensormesh-effect/core"
 * import { Duration, Effect } from "effect"
 *
 * const call: Effect.Effect<string, TensormeshError> = Effect.fail(
 *   new UpstreamError({ reason: "RateLimited", status: 429, retryable: true, retryAfter: Duration.seconds(2) })
 * )
 *
 * const handled = call.pipe(
 *   Effect.catchTag("UpstreamError", (e) =>
 *     e.retryable ? Effect.succeed(`retry in ${Duration.format(e.retryAfter ?? Duration.zero)}`) : Effect.fail(e)),
 *   Effect.catchTag("AuthError", () => Effect.succeed("check the key"))
 * )
 * assert.strictEqual(Effect.runSync(Effect.orDie(handled)), "retry in 2s")
 * ```
 *
 * @since 0.1.0
 */
import { NodeInspectSymbol } from "effect/Inspectable"
import * as Schema from "effect/Schema"

const common = {
  /**
   * What happened, in words (the server's error message when it sent one): at most 4 KiB of it, the truncation
   * noted, secrets scrubbed.
   */
  detail: Schema.optional(Schema.String),
  /** The HTTP status, when a response arrived. */
  status: Schema.optional(Schema.Number),
  /** `x-request-id` of the response, when the server sent one. */
  requestId: Schema.optional(Schema.String),
  /**
   * The parsed error body: JSON as sent, or the text of a non-JSON body. Bounded, the truncation noted in place:
   * at most 16 KiB of text, and of JSON at most 32 levels deep, 1,024 values and 16 KiB of strings and keys, each
   * string at most 4 KiB. Secrets and `Bearer` credentials the server echoes are scrubbed.
   */
  body: Schema.optional(Schema.Unknown),
  /** Whether the same request may succeed if sent again later. */
  retryable: Schema.Boolean,
  /** The underlying failure (transport error, parse error), for diagnostics. */
  cause: Schema.optional(Schema.Unknown)
}

/**
 * An error's `message` holds at most this many characters of its `detail`: the SDK keeps a server's message within
 * 4 KiB and a note of its truncation.
 */
const MAX_MESSAGE_DETAIL = 4096 + 64

const bounded = (text: string): string =>
  text.length <= MAX_MESSAGE_DETAIL
    ? text
    : `${text.slice(0, MAX_MESSAGE_DETAIL)}… (truncated, ${text.length} characters)`

const describe = (
  self: { readonly reason: string; readonly detail?: string | undefined; readonly status?: number | undefined },
  requestId: string | undefined
): string =>
  `${self.reason}${self.status === undefined ? "" : ` (HTTP ${self.status})`}` +
  `${self.detail === undefined ? "" : `: ${bounded(self.detail)}`}` +
  `${requestId === undefined ? "" : ` [request ${bounded(requestId)}]`}`

/**
 * The plain-object form of an error (`JSON.stringify`, loggers): its fields and `message`, without `cause`, which
 * stays on the error for diagnostics (a parse error's schema, a socket) but is not serialised.
 */
const serialise = (self: object & { readonly message: string }): Record<string, unknown> => {
  const { cause: _cause, ...fields } = self as Record<string, unknown>
  return { ...fields, message: self.message }
}

/**
 * One problem of a request or a setting: where (`path`: the field's keys and indexes, e.g.
 * `["messages", 0, "content"]`, or the setting's name) and what (`message`).
 *
 * @since 0.2.0
 * @category models
 */
export const ValidationIssue: Schema.Struct<{
  path: Schema.Array$<Schema.Union<[typeof Schema.String, typeof Schema.Number]>>
  message: typeof Schema.String
}> = Schema.Struct({
  path: Schema.Array(Schema.Union(Schema.String, Schema.Number)),
  message: Schema.String
})

/**
 * @since 0.2.0
 * @category models
 */
export interface ValidationIssue extends Schema.Schema.Type<typeof ValidationIssue> {}

/**
 * No key for a keyed route (raised before any request is sent), or the server answered 401 / 403.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthError extends Schema.TaggedError<AuthError>("@tensormesh-effect/core/AuthError")("AuthError", {
  reason: Schema.Literal("MissingApiKey", "Unauthorized", "Forbidden"),
  ...common
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return describe(this, this.requestId)
  }
  /**
   * @since 0.2.0
   */
  override toJSON(): unknown {
    return serialise(this)
  }
  /**
   * @since 0.2.0
   */
  override [NodeInspectSymbol](): unknown {
    return serialise(this)
  }
}

/**
 * The request failed its schema or a policy check before sending (`InvalidRequest`), the client was configured
 * with invalid settings (`InvalidConfig`), or the server rejected the request: 400 (`BadRequest`), 404
 * (`NotFound`, e.g. an unknown model), 413 (`PayloadTooLarge`), 422 (`UnprocessableEntity`).
 *
 * @since 0.1.0
 * @category errors
 */
export class ValidationError
  extends Schema.TaggedError<ValidationError>("@tensormesh-effect/core/ValidationError")("ValidationError", {
    reason: Schema.Literal(
      "InvalidRequest",
      "InvalidConfig",
      "BadRequest",
      "NotFound",
      "PayloadTooLarge",
      "UnprocessableEntity"
    ),
    /**
     * The problems, one entry per field: the request's (schema failures), the server's (a 400 / 422 body that names
     * a field: `error.param`, FastAPI's `detail[].loc`), or the setting's (its name). Empty when nothing names a
     * field.
     */
    issues: Schema.optionalWith(Schema.Array(ValidationIssue), { default: () => [] }),
    ...common
  })
{
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return describe(this, this.requestId)
  }
  /**
   * @since 0.2.0
   */
  override toJSON(): unknown {
    return serialise(this)
  }
  /**
   * @since 0.2.0
   */
  override [NodeInspectSymbol](): unknown {
    return serialise(this)
  }
}

/**
 * Everything that went wrong on the other side or on the way there:
 *
 * - `RateLimited` (429, with `retryAfter`), `Unavailable` (503), `ServerError` (other 5xx),
 *   `UnexpectedStatus` (any other status outside 2xx);
 * - `ConnectionRefused` (nothing was sent), `Connection` (the connection failed or broke), `Timeout` (per-attempt
 *   or total budget), `IdleTimeout` (no stream data within `idleTimeout`);
 * - `StreamError` (an error event inside a stream), `StreamTruncated` (a stream ended without its terminal
 *   event), `InvalidResponse` (a body that does not decode), `EventTooLarge` (an SSE event over the limit),
 *   `ResponseTooLarge` (a body over `maxResponseBytes`);
 * - `InvalidOutput`: the model's output (`parse`'s JSON, a `ChatTool`'s arguments) is not JSON or does not match
 *   its schema; `issues` says where, `body` holds the text (bounded). Not retryable;
 * - `LimitStoreUnavailable`: the store of the client's `limits` could not be reached and its policy is to fail
 *   closed (nothing was sent). A limit reached in `onExceeded: "fail"` mode is `RateLimited`, without a status.
 *
 * @since 0.1.0
 * @category errors
 */
export class UpstreamError
  extends Schema.TaggedError<UpstreamError>("@tensormesh-effect/core/UpstreamError")("UpstreamError", {
    reason: Schema.Literal(
      "RateLimited",
      "Unavailable",
      "ServerError",
      "UnexpectedStatus",
      "ConnectionRefused",
      "Connection",
      "Timeout",
      "IdleTimeout",
      "StreamError",
      "StreamTruncated",
      "InvalidResponse",
      "EventTooLarge",
      "ResponseTooLarge",
      "LimitStoreUnavailable",
      "InvalidOutput"
    ),
    /** With `InvalidOutput`: what is wrong with the model's output (where and what), as `ValidationError.issues`. */
    issues: Schema.optional(Schema.Array(ValidationIssue)),
    /**
     * How long the server asked to wait (`retry-after-ms`, else `Retry-After` in seconds or as an HTTP date), within
     * 0 to 24 hours: a negative, malformed or non-finite hint counts as absent, a longer one is capped. The SDK
     * waits and retries only for hints up to 60 s; past that it fails with the hint.
     */
    retryAfter: Schema.optional(Schema.DurationFromSelf),
    ...common
  })
{
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return describe(this, this.requestId)
  }
  /**
   * @since 0.2.0
   */
  override toJSON(): unknown {
    return serialise(this)
  }
  /**
   * @since 0.2.0
   */
  override [NodeInspectSymbol](): unknown {
    return serialise(this)
  }
}

/**
 * Any failure of a Tensormesh call.
 *
 * @since 0.1.0
 * @category errors
 */
export type TensormeshError = AuthError | ValidationError | UpstreamError

const isAuthError = Schema.is(AuthError)
const isValidationError = Schema.is(ValidationError)
const isUpstreamError = Schema.is(UpstreamError)

/**
 * @since 0.1.0
 * @category guards
 */
export const isTensormeshError = (u: unknown): u is TensormeshError =>
  isAuthError(u) || isValidationError(u) || isUpstreamError(u)
