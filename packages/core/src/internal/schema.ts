import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

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

/**
 * The annotation that carries a request schema's wire encoding: a function from a checked request to the body that
 * is sent (fields dropped or rewritten per the schema's documentation). The pipeline applies it after the check.
 *
 * @internal
 */
export const WireEncodingId: unique symbol = Symbol.for("@tensormesh-effect/core/WireEncoding")

/** @internal */
export type WireEncoding = (request: any) => any

/**
 * The wire encoding of a request schema, when it has one.
 *
 * @internal
 */
export const wireEncoding = (schema: Schema.Schema.Any): WireEncoding | undefined =>
  schema.ast.annotations[WireEncodingId] as WireEncoding | undefined

const kindOf = (u: unknown): string =>
  u === null ? "null" : Array.isArray(u) ? "an array" : typeof u === "object" ? "an object" : typeof u

/**
 * An issue's leaves as one line; the leaves of a union of literals at one path ("Expected \"a\", actual \"x\"",
 * "Expected \"b\", actual \"x\"") are merged into one ("Expected \"a\" | \"b\", actual \"x\"").
 */
const describe = (issue: ParseResult.ParseIssue): string => {
  const lines: Array<{ path: string; expected: Array<string>; actual: string | undefined; message: string }> = []
  for (const leaf of ParseResult.ArrayFormatter.formatIssueSync(issue)) {
    const path = leaf.path.join(".")
    const parts = /^Expected (.*), actual (.*)$/s.exec(leaf.message)
    const last = lines[lines.length - 1]
    if (parts !== null && last !== undefined && last.path === path && last.actual === parts[2]) {
      last.expected.push(parts[1])
      continue
    }
    lines.push(
      parts === null
        ? { path, expected: [], actual: undefined, message: leaf.message }
        : { path, expected: [parts[1]], actual: parts[2], message: leaf.message }
    )
  }
  return lines.map((line) => {
    const message = line.actual === undefined
      ? line.message
      : `Expected ${line.expected.join(" | ")}, actual ${line.actual}`
    return line.path === "" ? message : `${line.path}: ${message}`
  }).join("; ")
}

const sameAst = (a: AST.AST, b: AST.AST): boolean => a === b || a === AST.typeAST(b)

/**
 * A union of objects told apart by the value of one key (`byDefault` when the key is absent, `fallback` for any
 * other string). A plain `Schema.Union` (so that it compiles to the fast path), whose error names only the problem
 * of the member the value's key picks ("function_call item: name: Expected string, actual 1"), not every member
 * that did not match.
 *
 * @internal
 */
export const keyedUnion = <Members extends Record<string, Schema.Schema.AnyNoContext>, A>(options: {
  readonly key: string
  readonly members: Members
  readonly byDefault: keyof Members & string
  readonly fallback?: Schema.Schema.AnyNoContext
  readonly expected: string
}): Schema.Schema<A> => {
  const names = Object.keys(options.members)
  const schemas = [...names.map((name) => options.members[name]), ...(options.fallback ? [options.fallback] : [])]
  const message = (issue: ParseResult.ParseIssue) => {
    const actual = issue.actual
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) {
      return { message: `Expected ${options.expected}, actual ${kindOf(actual)}`, override: true }
    }
    const tag = (actual as Record<string, unknown>)[options.key]
    const index = tag === undefined
      ? names.indexOf(options.byDefault)
      : typeof tag === "string" && names.includes(tag)
      ? names.indexOf(tag)
      : typeof tag === "string" && options.fallback !== undefined
      ? names.length
      : -1
    if (index === -1) {
      const known = names.map((name) => JSON.stringify(name)).join(" | ")
      return {
        message: `${options.key}: Expected ${known}${options.fallback ? " or another item type" : ""}, actual ${
          JSON.stringify(tag)
        }`,
        override: true
      }
    }
    const member = schemas[index].ast
    const inner = issue._tag === "Composite"
      ? (Array.isArray(issue.issues) ? issue.issues : [issue.issues]).find((i: ParseResult.ParseIssue) =>
        "ast" in i && sameAst(i.ast as AST.AST, member)
      )
      : undefined
    const label = index < names.length ? names[index] : String(tag)
    return { message: `${label} item: ${inner === undefined ? describe(issue) : describe(inner)}`, override: true }
  }
  return Schema.Union(...schemas).annotations({ message }) as unknown as Schema.Schema<A>
}

/**
 * A string, or a value of `other` (a list): when a list is invalid, its own errors say why, and the string member's
 * error says no more than that the value is not a string (not a misleading `Expected string, actual [...]`).
 *
 * @internal
 */
export const stringOr = <A, I>(other: Schema.Schema<A, I, never>, expected: string) =>
  Schema.Union(
    Schema.String.annotations({
      message: (issue) =>
        Array.isArray(issue.actual)
          ? `${expected}: the list has an invalid item`
          : `Expected ${expected}, actual ${kindOf(issue.actual)}`
    }),
    other
  )
