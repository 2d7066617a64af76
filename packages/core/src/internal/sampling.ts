import * as Schema from "effect/Schema"
import { Int, JsonObject, PositiveInt } from "./schema.js"

/**
 * @internal
 */
export const StreamOptions = Schema.Struct({
  include_usage: Schema.optional(Schema.Boolean),
  continuous_usage_stats: Schema.optional(Schema.Boolean)
})

const Temperature = Schema.Number.pipe(Schema.between(0, 2))
const Probability = Schema.Number.pipe(Schema.between(0, 1))
const Penalty = Schema.Number.pipe(Schema.between(-2, 2))

/**
 * The fields common to chat and text completions.
 *
 * @internal
 */
export const samplingFields = {
  /** Optional when the layer has a default model (`model`, `TENSORMESH_MODEL`). */
  model: Schema.optional(Schema.String.pipe(Schema.nonEmptyString())),
  temperature: Schema.optional(Schema.NullOr(Temperature)),
  top_p: Schema.optional(Schema.NullOr(Probability)),
  max_tokens: Schema.optional(Schema.NullOr(PositiveInt)),
  n: Schema.optional(PositiveInt),
  stop: Schema.optional(Schema.NullOr(Schema.Union(Schema.String, Schema.Array(Schema.String)))),
  seed: Schema.optional(Schema.NullOr(Int)),
  frequency_penalty: Schema.optional(Schema.NullOr(Penalty)),
  presence_penalty: Schema.optional(Schema.NullOr(Penalty)),
  logit_bias: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Number }))),
  user: Schema.optional(Schema.String),
  stream_options: Schema.optional(Schema.NullOr(StreamOptions)),
  /**
   * Fields the schemas do not model (vLLM's `top_k`, `chat_template_kwargs`, …), merged into the JSON body.
   * A key that the request already models is rejected.
   */
  extraBody: Schema.optional(JsonObject)
}
