/**
 * Schemas of `GET /health` and `GET /version` (on the host root).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Any 2xx answer is healthy; vLLM sends an empty body, which reads as `{ status: "ok" }`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Health = Schema.Struct({
  status: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Health extends Schema.Schema.Type<typeof Health> {}

/**
 * The server's version string (vLLM's or the gateway's).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Version = Schema.Struct({
  version: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Version extends Schema.Schema.Type<typeof Version> {}
