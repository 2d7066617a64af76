/**
 * Schemas of `GET /v1/models`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { nullish } from "./internal/schema.js"

/**
 * A served model. Only `id` (the name to send as `model`) is guaranteed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Model = Schema.Struct({
  id: Schema.String,
  object: Schema.optional(Schema.String),
  created: nullish(Schema.Number),
  owned_by: nullish(Schema.String),
  root: nullish(Schema.String),
  parent: nullish(Schema.String),
  max_model_len: nullish(Schema.Number)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Model extends Schema.Schema.Type<typeof Model> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const ModelList = Schema.Struct({
  object: Schema.optional(Schema.String),
  data: Schema.Array(Model)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ModelList extends Schema.Schema.Type<typeof ModelList> {}
