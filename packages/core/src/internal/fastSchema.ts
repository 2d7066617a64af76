import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

/**
 * Schemas compiled once into plain predicates: a fast path in front of `Schema`, never instead of it.
 *
 * A compiled check accepts an input only when `Schema` itself would accept it and return the same value, so a
 * caller can use the input as the result; when the check says no (the input is invalid, or merely unusual), the
 * caller runs `Schema` as before and gets its exact result and error. Compilation gives up (returns `undefined`)
 * on any AST node it does not model exactly, and the caller then always uses `Schema`.
 *
 * Modelled: literals, `String`, `Number`, `Boolean`, `Unknown`, `Any`, `Undefined`, `Never`, refinements (their
 * own filter is called; `int` inlined), arrays, structs (property signatures and string index signatures), unions,
 * and, for decoding, the struct transformations of `optionalWith` (defaults), applied in place once the whole
 * input has been checked. Only `onExcessProperty: "error"` (requests) and `"preserve"` (responses) qualify: both
 * return the input's keys unchanged.
 */

type Check = (u: unknown) => boolean
/** Fills in what a successful decode adds (defaults), in place; called only on an input that passed `check`. */
type Apply = (u: any) => void

/**
 * A compiled node. A value is accepted when its kind is in `mask` (no further check: keywords, `Unknown`), or else
 * when `rest` accepts it (literals, refinements, structs, arrays, ...): containers test the mask inline, so that
 * the common fields (`string`, `number | null | undefined`, ...) cost no call.
 */
interface Compiled {
  readonly check: Check
  readonly mask: number
  readonly rest: Check | undefined
  readonly apply: Apply | undefined
  /** The kinds of value the node can accept (for unions whose members transform). */
  readonly kinds: number
  /** An integer refinement of `Number` (arrays of them get a loop of their own). */
  readonly int?: boolean
}

const K_STRING = 1
const K_NUMBER = 2
const K_BOOLEAN = 4
const K_NULL = 8
const K_UNDEFINED = 16
const K_OBJECT = 32
const K_ARRAY = 64
const K_OTHER = 128
const K_ALL = 255

/**
 * Checks as generated JavaScript: a struct's fields read by name and tested inline, each nested check called from
 * a call site of its own, which the engine can inline (a generic loop over closures cannot: measured, closures
 * cost 2–3× as much per chunk). Only where the runtime allows code generation (not under a CSP without
 * `unsafe-eval`, nor on some edge runtimes): elsewhere nothing compiles and `Schema` decides every value. The generated code holds no data: property names are JSON-quoted, everything else is
 * passed in as parameters.
 */
let generation: boolean | undefined
/** Probed on first compile, not at import: importing the SDK never evaluates code. */
const canGenerate = (): boolean => {
  if (generation === undefined) {
    try {
      generation = new Function("return 1")() === 1
    } catch {
      generation = false
    }
  }
  return generation
}

/** A JavaScript expression, true when `v` is of a kind in `mask`. */
const maskTest = (v: string, mask: number): string => {
  if ((mask & K_ALL) === K_ALL) return "true"
  const parts: Array<string> = []
  if (mask & K_STRING) parts.push(`typeof ${v} === "string"`)
  if (mask & K_NUMBER) parts.push(`typeof ${v} === "number"`)
  if (mask & K_BOOLEAN) parts.push(`typeof ${v} === "boolean"`)
  if (mask & K_NULL) parts.push(`${v} === null`)
  if (mask & K_UNDEFINED) parts.push(`${v} === undefined`)
  if ((mask & (K_OBJECT | K_ARRAY)) === (K_OBJECT | K_ARRAY)) parts.push(`(typeof ${v} === "object" && ${v} !== null)`)
  else if (mask & K_OBJECT) parts.push(`(typeof ${v} === "object" && ${v} !== null && !Array.isArray(${v}))`)
  else if (mask & K_ARRAY) parts.push(`Array.isArray(${v})`)
  if (mask & K_OTHER) {
    parts.push(`typeof ${v} === "function" || typeof ${v} === "symbol" || typeof ${v} === "bigint"`)
  }
  return parts.length === 0 ? "false" : parts.join(" || ")
}

/** A JavaScript condition, true when `v` fails a node with this mask and rest check (called as `rest`). */
const failsTest = (v: string, mask: number, rest: string | undefined): string =>
  rest === undefined
    ? `!(${maskTest(v, mask)})`
    : mask === 0
    ? `!${rest}(${v})`
    : `!(${maskTest(v, mask)} || ${rest}(${v}))`

const generate = (params: Record<string, unknown>, body: string): Check => {
  const names = Object.keys(params)
  return new Function(...names, `"use strict";\nreturn function check(u) {\n${body}\n}`)(
    ...names.map((name) => params[name])
  ) as Check
}

class Unsupported {
  constructor(readonly node: string) {}
}

const hasOwn = Object.prototype.hasOwnProperty

interface Context {
  readonly options: AST.ParseOptions
  /** Check every own key against the declared ones (`onExcessProperty: "error"`). */
  readonly strictKeys: boolean
  /** Transformations allowed (decoding); validation works on the type side only. */
  readonly decoding: boolean
  /** Set by a transformation's check when applying it would change the input (else `apply` is skipped). */
  readonly flags: { dirty: boolean }
}

const literalKind = (literal: AST.LiteralValue): number =>
  literal === null
    ? K_NULL
    : typeof literal === "string"
    ? K_STRING
    : typeof literal === "number"
    ? K_NUMBER
    : typeof literal === "boolean"
    ? K_BOOLEAN
    : K_OTHER

const checkOf = (mask: number, rest: Check | undefined): Check =>
  rest !== undefined && mask === 0
    ? rest
    : generate({ rest }, `return !(${failsTest("u", mask, rest === undefined ? undefined : "rest")});`)

const node = (mask: number, rest: Check | undefined, kinds: number, apply?: Apply): Compiled => ({
  check: checkOf(mask, rest),
  mask,
  rest,
  apply,
  kinds
})

const byMask = (mask: number) => node(mask, undefined, mask)
const byCheck = (check: Check, kinds: number, apply?: Apply) => node(0, check, kinds, apply)

const compile = (ast: AST.AST, ctx: Context): Compiled => {
  if (AST.ParseOptionsAnnotationId in ast.annotations) throw new Unsupported("parseOptions annotation")
  switch (ast._tag) {
    case "Literal": {
      const literal = ast.literal
      return byCheck((u) => u === literal, literalKind(literal))
    }
    case "StringKeyword":
      return byMask(K_STRING)
    case "NumberKeyword":
      return byMask(K_NUMBER)
    case "BooleanKeyword":
      return byMask(K_BOOLEAN)
    case "UndefinedKeyword":
      return byMask(K_UNDEFINED)
    case "UnknownKeyword":
    case "AnyKeyword":
      return byMask(K_ALL)
    case "NeverKeyword":
      return node(0, undefined, 0)
    case "Refinement":
      return compileRefinement(ast, ctx)
    case "TupleType":
      return compileArray(ast, ctx)
    case "TypeLiteral":
      return compileStruct(ast, ctx)
    case "Union":
      return compileUnion(ast, ctx)
    case "Transformation":
      return compileTransformation(ast, ctx)
    default:
      throw new Unsupported(ast._tag)
  }
}

const compileRefinement = (ast: AST.Refinement, ctx: Context): Compiled => {
  const from = compile(ast.from, ctx)
  // the filter sees the decoded value: only exact when decoding leaves the value as it is
  if (from.apply !== undefined) throw new Unsupported("refinement of a transformation")
  if (ast.annotations[AST.SchemaIdAnnotationId] === Schema.IntSchemaId && ast.from._tag === "NumberKeyword") {
    return { ...byCheck((u) => Number.isSafeInteger(u), K_NUMBER), int: true }
  }
  const fromCheck = from.check
  const filter = ast.filter
  const options = ctx.options
  return byCheck((u) => fromCheck(u) && Option.isNone(filter(u, options, ast)), from.kinds)
}

const compileArray = (ast: AST.TupleType, ctx: Context): Compiled => {
  if (ast.elements.length !== 0 || ast.rest.length !== 1) throw new Unsupported("tuple")
  const item = compile(ast.rest[0].type, ctx)
  const { apply, mask, rest } = item
  let check: Check
  if (item.int === true) {
    check = (u) => {
      if (!Array.isArray(u)) return false
      for (let i = 0; i < u.length; i++) {
        if (!Number.isSafeInteger(u[i])) return false
      }
      return true
    }
  } else {
    check = generate(
      { rest },
      `if (!Array.isArray(u)) return false;\n` +
        `for (let i = 0; i < u.length; i++) {\n  const v = u[i];\n` +
        `  if (${failsTest("v", mask, rest === undefined ? undefined : "rest")}) return false;\n}\nreturn true;`
    )
  }
  return byCheck(
    check,
    K_ARRAY,
    apply === undefined ? undefined : (u: Array<unknown>) => {
      for (let i = 0; i < u.length; i++) apply(u[i])
    }
  )
}

const compileStruct = (ast: AST.TypeLiteral, ctx: Context): Compiled => {
  if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
    return byMask(K_ALL & ~(K_NULL | K_UNDEFINED))
  }
  const names: Array<string> = []
  const required: Array<boolean> = []
  const masks: Array<number> = []
  const rests: Array<Check | undefined> = []
  const applies: Array<[string, Apply]> = []
  for (const ps of ast.propertySignatures) {
    if (typeof ps.name !== "string") throw new Unsupported("symbol key")
    const compiled = compile(ps.type, ctx)
    names.push(ps.name)
    required.push(!ps.isOptional)
    masks.push(compiled.mask)
    rests.push(compiled.rest)
    if (compiled.apply !== undefined) applies.push([ps.name, compiled.apply])
  }
  const indexChecks: Array<Check> = []
  for (const is of ast.indexSignatures) {
    if (is.parameter._tag !== "StringKeyword") throw new Unsupported("index signature key")
    const compiled = compile(is.type, ctx)
    if (compiled.apply !== undefined) throw new Unsupported("index signature transformation")
    if (compiled.mask !== K_ALL) indexChecks.push(compiled.check)
  }
  const declared = new Set(names)
  const count = names.length
  const strictKeys = ctx.strictKeys && ast.indexSignatures.length === 0
  const strictSymbols = ctx.strictKeys && ast.indexSignatures.length > 0
  const hasIndex = indexChecks.length > 0
  // issue 12: an own `__proto__` key is left to Schema (whose result object then differs from the input)
  const guardProto = ast.indexSignatures.length > 0
  const extra = (u: Record<string, unknown>): boolean => {
    if (guardProto && hasOwn.call(u, "__proto__")) return false
    if (strictKeys) {
      // every own key (symbols and non-enumerable ones included, as Schema sees them) must be declared
      const keys = Reflect.ownKeys(u)
      if (keys.length > count) return false
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]
        if (typeof key !== "string" || !declared.has(key)) return false
      }
    } else if (strictSymbols && Object.getOwnPropertySymbols(u).length > 0) {
      return false
    }
    if (hasIndex) {
      const keys = Object.getOwnPropertyNames(u)
      for (let i = 0; i < keys.length; i++) {
        const value = u[keys[i]]
        for (let j = 0; j < indexChecks.length; j++) {
          if (!indexChecks[j](value)) return false
        }
      }
    }
    return true
  }
  const needsExtra = strictKeys || strictSymbols || hasIndex || guardProto
  const apply: Apply | undefined = applies.length === 0 ? undefined : (u) => {
    for (let i = 0; i < applies.length; i++) {
      const [name, apply] = applies[i]
      if (hasOwn.call(u, name)) apply(u[name])
    }
  }
  const params: Record<string, unknown> = { hasOwn, extra }
  const lines = [`if (typeof u !== "object" || u === null || Array.isArray(u)) return false;`, `let v;`]
  for (let i = 0; i < count; i++) {
    const key = JSON.stringify(names[i])
    const rest = rests[i] === undefined ? undefined : `r${i}`
    if (rest !== undefined) params[rest] = rests[i]
    lines.push(
      `if (hasOwn.call(u, ${key})) { v = u[${key}]; if (${failsTest("v", masks[i], rest)}) return false; }` +
        (required[i] ? ` else return false;` : "")
    )
  }
  lines.push(needsExtra ? `return extra(u);` : `return true;`)
  return byCheck(generate(params, lines.join("\n")), K_OBJECT, apply)
}

const compileUnion = (ast: AST.Union, ctx: Context): Compiled => {
  const members = ast.types.map((member) => compile(member, ctx))
  let kinds = 0
  let overlap = false
  let mask = 0
  const rests: Array<Check> = []
  for (const member of members) {
    if ((kinds & member.kinds) !== 0) overlap = true
    kinds |= member.kinds
    mask |= member.mask
    if (member.rest !== undefined) rests.push(member.rest)
  }
  // any member may accept a value: the masks are merged, the other checks tried in turn
  const n = rests.length
  const rest: Check | undefined = n === 0
    ? undefined
    : n === 1
    ? rests[0]
    : generate(
      Object.fromEntries(rests.map((r, i) => [`r${i}`, r])),
      `return ${rests.map((_, i) => `r${i}(u)`).join(" || ")};`
    )
  if (members.every((member) => member.apply === undefined)) return node(mask, rest, kinds, undefined)
  // which member Schema picks decides what is applied: only certain when no two members accept the same kind
  if (overlap) throw new Unsupported("union of overlapping members that transform")
  const checks = members.map((member) => member.check)
  const apply: Apply = (u) => {
    for (let i = 0; i < members.length; i++) {
      if (checks[i](u)) {
        members[i].apply?.(u)
        return
      }
    }
  }
  return node(mask, rest, kinds, apply)
}

/**
 * The transformation `Schema.Struct` builds for `optionalWith` fields (defaults, `nullable`, `exact`): each
 * property's own `decode` maps the (possibly missing) value, and the result is checked against the type side.
 */
const compileTransformation = (ast: AST.Transformation, ctx: Context): Compiled => {
  if (!ctx.decoding) throw new Unsupported("transformation")
  const transformation = ast.transformation
  if (transformation._tag !== "TypeLiteralTransformation") throw new Unsupported(transformation._tag)
  if (ast.to._tag !== "TypeLiteral" || ast.from._tag !== "TypeLiteral") throw new Unsupported("transformation shape")
  const from = compile(ast.from, ctx)
  const to = ast.to
  const fromFields = new Map(ast.from.propertySignatures.map((ps) => [ps.name, ps]))
  const steps = transformation.propertySignatureTransformations.map((pst) => {
    if (pst.from !== pst.to || typeof pst.from !== "string") throw new Unsupported("renaming")
    const name = pst.from
    const source = fromFields.get(name)
    const target = to.propertySignatures.find((ps) => ps.name === name)
    if (source === undefined || target === undefined) throw new Unsupported("transformed key")
    // the decode function sees the decoded value: only exact when the field itself does not transform
    if (compile(source.type, ctx).apply !== undefined) throw new Unsupported("transformed field of a transformation")
    const targetCheck = compile(target.type, { ...ctx, decoding: false }).check
    return { name, decode: pst.decode, targetCheck, optional: target.isOptional }
  })
  const fromCheck = from.check
  const fromApply = from.apply
  const flags = ctx.flags
  const decoded = (u: Record<string, unknown>, step: typeof steps[number]) =>
    step.decode(hasOwn.call(u, step.name) ? Option.some(u[step.name]) : Option.none())
  const check: Check = (u) => {
    if (!fromCheck(u)) return false
    const record = u as Record<string, unknown>
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]
      const result = decoded(record, step)
      const present = hasOwn.call(record, step.name)
      if (Option.isNone(result)) {
        if (!step.optional) return false
        if (present) flags.dirty = true
      } else if (!present || result.value !== record[step.name] || result.value === undefined) {
        if (!step.targetCheck(result.value)) return false
        flags.dirty = true
      }
    }
    return true
  }
  const apply: Apply = (u) => {
    if (fromApply !== undefined) fromApply(u)
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]
      const result = decoded(u, step)
      if (Option.isNone(result)) delete u[step.name]
      else u[step.name] = result.value
    }
  }
  return byCheck(check, K_OBJECT, apply)
}

const qualifies = (options: AST.ParseOptions): boolean =>
  (options.onExcessProperty === "error" || options.onExcessProperty === "preserve") && options.exact !== true

const attempt = <A>(f: () => A): A | undefined => {
  try {
    return f()
  } catch (error) {
    if (error instanceof Unsupported) return undefined
    throw error
  }
}

/** The context of one compilation; where the runtime cannot generate code, nothing compiles. */
const contextFor = (options: AST.ParseOptions, decoding: boolean): Context => {
  if (!canGenerate()) throw new Unsupported("code generation")
  return { options, strictKeys: options.onExcessProperty === "error", decoding, flags: { dirty: false } }
}

/**
 * A predicate that holds only for values `Schema.validate(schema, options)` accepts as they are; `undefined` when
 * the schema (or the options) are outside what is modelled.
 *
 * @internal
 */
export const compileValidator = (
  schema: Schema.Schema.Any,
  options: AST.ParseOptions
): ((u: unknown) => boolean) | undefined =>
  qualifies(options)
    ? attempt(() => compile(AST.typeAST(schema.ast), contextFor(options, false)).check)
    : undefined

/**
 * A decoder for values `Schema.decodeUnknown(schema, options)` accepts: returns `true` after completing the input
 * in place (defaults) so that it equals what `Schema` returns, or `false` (leaving the input untouched) when
 * `Schema` must decide. `undefined` when the schema (or the options) are outside what is modelled.
 *
 * @internal
 */
export const compileDecoder = (
  schema: Schema.Schema.Any,
  options: AST.ParseOptions
): ((u: unknown) => boolean) | undefined =>
  qualifies(options)
    ? attempt(() => {
      const ctx = contextFor(options, true)
      const flags = ctx.flags
      const { apply, check } = compile(schema.ast, ctx)
      return apply === undefined ? check : (u: unknown) => {
        flags.dirty = false
        if (!check(u)) return false
        if (flags.dirty) apply(u)
        return true
      }
    })
    : undefined

/**
 * Whether a compiled decoder changes its input (defaults): if it does, an input that must stay as received (a raw
 * response's `json`) goes through `Schema`.
 *
 * @internal
 */
export const decoderTransforms = (schema: Schema.Schema.Any, options: AST.ParseOptions): boolean =>
  attempt(() => compile(schema.ast, contextFor(options, true)).apply !== undefined) ?? true
