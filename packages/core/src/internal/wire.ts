/**
 * The wire encodings of request schemas: a checked request in, the body to send out. What each field becomes is
 * documented on its schema (`ChatAssistantMessageParam`, the `ResponseInput*` items). A request that needs no
 * change is returned as it is.
 *
 * @internal
 */

type Json = Record<string, unknown>

const isString = (u: unknown): u is string => typeof u === "string"

const toolCallWire = (call: any): Json => ({
  id: call.id,
  type: call.type,
  function: { name: call.function.name, arguments: call.function.arguments }
})

/**
 * An assistant message as sent: its null fields and output-only keys dropped, `reasoning_content` sent as
 * `reasoning`, tool calls and `audio` reduced to their input keys.
 *
 * @internal
 */
export const assistantWire = (message: any): Json => {
  const out: Json = { role: "assistant" }
  if (message.content !== undefined && message.content !== null) out.content = message.content
  if (isString(message.name)) out.name = message.name
  if (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
    out.tool_calls = message.tool_calls.map(toolCallWire)
  }
  const fn = message.function_call
  if (fn !== undefined && fn !== null) out.function_call = { name: fn.name, arguments: fn.arguments }
  if (isString(message.refusal)) out.refusal = message.refusal
  const audio = message.audio
  if (audio !== undefined && audio !== null) out.audio = { id: audio.id }
  const reasoning = isString(message.reasoning) ? message.reasoning : message.reasoning_content
  if (isString(reasoning)) out.reasoning = reasoning
  return out
}

/** Rebuilds the items `wire` changes, keeping the array (and the request) when none changes. */
const mapItems = (items: ReadonlyArray<any>, wire: (item: any) => any): ReadonlyArray<any> => {
  let out: Array<any> | undefined
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    const sent = wire(item)
    if (out === undefined && sent !== item) out = items.slice(0, i)
    if (out !== undefined) out.push(sent)
  }
  return out ?? items
}

/**
 * The body of a chat completion (or messages tokenize) request: assistant messages encoded by `assistantWire`, the
 * others as given.
 *
 * @internal
 */
export const chatRequestWire = (request: any): any => {
  if (!Array.isArray(request.messages)) return request
  const messages = mapItems(request.messages, (m) => m.role === "assistant" ? assistantWire(m) : m)
  return messages === request.messages ? request : { ...request, messages }
}

/** The fields of `item` named in `keys` that are neither undefined nor null, in that order. */
const pick = (item: any, keys: ReadonlyArray<string>): Json => {
  const out: Json = {}
  for (const key of keys) {
    const value = item[key]
    if (value !== undefined && value !== null) out[key] = value
  }
  return out
}

const messageKeys = ["type", "id", "role", "content", "status"]
const functionCallKeys = ["type", "id", "call_id", "name", "arguments", "status"]
const functionCallOutputKeys = ["type", "id", "call_id", "output", "status"]
const reasoningKeys = ["type", "id", "summary", "content", "encrypted_content", "status"]

/**
 * A Responses input item as sent (see the `ResponseInput*` schemas).
 *
 * @internal
 */
export const responseItemWire = (item: any): any => {
  switch (item.type ?? "message") {
    case "message":
      return pick(item, messageKeys)
    case "function_call":
      return pick(item, functionCallKeys)
    case "function_call_output":
      return pick(item, functionCallOutputKeys)
    case "reasoning":
      return pick({ ...item, summary: item.summary ?? [] }, reasoningKeys)
    default:
      return item
  }
}

/**
 * The body of a Responses request: `input` items encoded by `responseItemWire`.
 *
 * @internal
 */
export const responseRequestWire = (request: any): any => {
  if (typeof request.input === "string") return request
  const input = mapItems(request.input, responseItemWire)
  return input === request.input ? request : { ...request, input }
}
