/**
 * Deterministic values for a JSON schema: tool call arguments and `json_schema` answers.
 *
 * Strings are the given text (cut to `maxLength`, padded to `minLength`), numbers and integers are 1 (or the
 * `minimum`), booleans `true`, `enum` gives its first value, `const` its value, objects fill every listed and every
 * required property, arrays hold `minItems` items (none by default). `$ref`s into `#/$defs` and `#/definitions` are
 * followed; `anyOf` / `oneOf` / `allOf` take their first branch.
 *
 * @internal
 */

type JsonSchema = Record<string, unknown>

const isRecord = (u: unknown): u is JsonSchema => typeof u === "object" && u !== null && !Array.isArray(u)

const MAX_DEPTH = 8

const resolveRef = (root: JsonSchema, ref: string): unknown => {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref)
  if (match === null) return undefined
  const defs = root[match[1]!]
  return isRecord(defs) ? defs[match[2]!] : undefined
}

const schemaType = (schema: JsonSchema): string | undefined => {
  const type = schema.type
  if (typeof type === "string") return type
  if (Array.isArray(type)) {
    const first = type.find((t) => t !== "null") ?? type[0]
    return typeof first === "string" ? first : undefined
  }
  if (isRecord(schema.properties) || Array.isArray(schema.required)) return "object"
  if (schema.items !== undefined) return "array"
  return undefined
}

const stringValue = (schema: JsonSchema, text: string): string => {
  let value = text
  if (typeof schema.maxLength === "number" && [...value].length > schema.maxLength) {
    value = [...value].slice(0, Math.max(0, schema.maxLength)).join("")
  }
  if (typeof schema.minLength === "number" && [...value].length < schema.minLength) {
    value = value + "x".repeat(schema.minLength - [...value].length)
  }
  return value
}

const numberValue = (schema: JsonSchema): number => {
  if (typeof schema.minimum === "number" && schema.minimum > 1) return Math.ceil(schema.minimum)
  if (typeof schema.exclusiveMinimum === "number" && schema.exclusiveMinimum >= 1) {
    return Math.floor(schema.exclusiveMinimum) + 1
  }
  if (typeof schema.maximum === "number" && schema.maximum < 1) return Math.floor(schema.maximum)
  return 1
}

const valueAt = (root: JsonSchema, schema: unknown, text: string, depth: number): unknown => {
  if (!isRecord(schema) || depth > MAX_DEPTH) return text
  if (typeof schema.$ref === "string") return valueAt(root, resolveRef(root, schema.$ref), text, depth + 1)
  if ("const" in schema) return schema.const
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const branches = schema[key]
    if (Array.isArray(branches) && branches.length > 0) {
      const branch = branches.find((b) => !(isRecord(b) && b.type === "null")) ?? branches[0]
      return valueAt(root, branch, text, depth + 1)
    }
  }
  switch (schemaType(schema)) {
    case "string":
      return stringValue(schema, text)
    case "number":
    case "integer":
      return numberValue(schema)
    case "boolean":
      return true
    case "null":
      return null
    case "array": {
      const count = typeof schema.minItems === "number" ? schema.minItems : 0
      return Array.from({ length: count }, () => valueAt(root, schema.items, text, depth + 1))
    }
    case "object": {
      const properties = isRecord(schema.properties) ? schema.properties : {}
      const required = Array.isArray(schema.required) ? schema.required.filter((k) => typeof k === "string") : []
      const out: Record<string, unknown> = {}
      for (const key of new Set([...Object.keys(properties), ...required])) {
        out[key] = valueAt(root, properties[key], text, depth + 1)
      }
      return out
    }
    default:
      return text
  }
}

/**
 * A value that matches `schema`, with `text` as the value of every string.
 *
 * @internal
 */
export const valueFor = (schema: unknown, text: string): unknown =>
  valueAt(isRecord(schema) ? schema : {}, schema, text, 0)

/**
 * The `arguments` of a tool call: a JSON object string matching the tool's `parameters`.
 *
 * @internal
 */
export const toolArguments = (parameters: unknown, text: string, toolResult?: string): string => {
  // a previous tool's result that is a JSON object fills the parameters it has by name, the user's text the rest;
  // a result in plain text is the text the arguments come from
  const given = toolResult === undefined ? undefined : jsonObject(toolResult)
  const source = toolResult === undefined || given !== undefined ? text : toolResult
  const value = isRecord(parameters) ? valueFor({ type: "object", ...parameters }, source) : {}
  if (!isRecord(value)) return "{}"
  if (given !== undefined) {
    for (const key of Object.keys(value)) if (Object.hasOwn(given, key)) value[key] = given[key]
  }
  return JSON.stringify(value)
}

const jsonObject = (text: string): Record<string, unknown> | undefined => {
  if (!text.trimStart().startsWith("{")) return undefined
  try {
    const parsed: unknown = JSON.parse(text)
    return isRecord(parsed) ? parsed : undefined
  } catch {
    return undefined
  }
}

/**
 * The content of a JSON mode answer: a JSON object string, shaped by `schema` when one is given.
 *
 * @internal
 */
export const jsonAnswer = (schema: unknown, answer: string): string => {
  if (isRecord(schema)) {
    const value = valueFor(schema, answer)
    if (isRecord(value) && Object.keys(value).length > 0) return JSON.stringify(value)
  }
  return JSON.stringify({ answer })
}

/**
 * A JSON Schema given as instructions: the last line of a `system` or `developer` message, when that line is a JSON
 * object (as an `@effect/ai` provider's schema hint writes it). Used by `json_object` mode, which carries no schema
 * on the wire, so that the answer has the keys the caller asked for, as a model following the hint would.
 *
 * @internal
 */
export const schemaFromInstructions = (
  messages: ReadonlyArray<{ readonly role: string; readonly text: string }>
): JsonSchema | undefined => {
  for (const message of messages) {
    if (message.role !== "system" && message.role !== "developer") continue
    const line = message.text.slice(message.text.lastIndexOf("\n") + 1).trim()
    if (!line.startsWith("{")) continue
    try {
      const schema: unknown = JSON.parse(line)
      if (isRecord(schema)) return schema
    } catch {
      // not a schema: plain instructions
    }
  }
  return undefined
}
