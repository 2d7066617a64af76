import { Schema } from "effect"

/**
 * A key that real servers either omit or send as `null` (vLLM sends every optional key as null in JSON bodies and
 * omits unset keys in stream chunks).
 *
 * @internal
 */
export const nullish = <S extends Schema.Schema.All>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** @internal */
export const Int = Schema.Number.pipe(Schema.int())

/** @internal */
export const NonNegativeInt = Int.pipe(Schema.nonNegative())

/** @internal */
export const PositiveInt = Int.pipe(Schema.positive())

/** @internal */
export const UnknownRecord = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** A free-form object (JSON Schema, metadata, extra body). @internal */
export const JsonObject = UnknownRecord

/**
 * The options every request is checked with before sending: unknown keys are errors (they would otherwise be sent
 * silently or dropped), all problems are reported at once.
 *
 * @internal
 */
export const requestParseOptions = { onExcessProperty: "error", errors: "all" } as const

/**
 * Responses keep the keys the schemas do not model.
 *
 * @internal
 */
export const responseParseOptions = { onExcessProperty: "preserve" } as const
