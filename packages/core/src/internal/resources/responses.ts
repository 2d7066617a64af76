import * as Either from "effect/Either"
import type * as Schema from "effect/Schema"
import * as Responses from "../../Responses.js"
import { UpstreamError } from "../../TensormeshError.js"
import { type Decoder, type JsonDescriptor, makeDecoder, post, type StreamDescriptor } from "../endpoint.js"
import { CONTINUE, eventJson, type Handler, STOP, streamError } from "../events.js"

const route = post("/responses")

/** `POST /v1/responses`. @internal */
export const create: JsonDescriptor<Responses.ResponseCreateParams, Responses.Response> = {
  name: "responses",
  verb: "create",
  route,
  params: Responses.ResponseCreateParams,
  result: Responses.Response
}

/**
 * A decoder per event type, each from its own member of the union: the delta and item events take the compiled
 * fast path; the lifecycle events, which hold a whole `Response` (a transformation: usage normalised, `output_text`
 * built), are decoded by Schema.
 */
const decoders = new Map<string, Decoder<Responses.ResponseStreamEvent>>()
const decodeAs = <A extends Responses.ResponseStreamEvent>(
  schema: Schema.Schema<A, any> & { readonly fields: { readonly type: { readonly literals: ReadonlyArray<string> } } }
) => {
  const decode = makeDecoder(schema)
  for (const type of schema.fields.type.literals) decoders.set(type, decode)
}
decodeAs(Responses.ResponseLifecycleEvent)
decodeAs(Responses.ResponseOutputItemEvent)
decodeAs(Responses.ResponsePartEvent)
decodeAs(Responses.ResponseTextDeltaEvent)
decodeAs(Responses.ResponseTextDoneEvent)
decodeAs(Responses.ResponseFunctionCallArgumentsDoneEvent)
const terminalTypes = new Set(["response.completed", "response.incomplete", "response.failed"])

/** Events of the Responses stream, up to and including the terminal event (there is no `[DONE]`). */
const handler = (secrets: ReadonlyArray<string>): Handler<Responses.ResponseStreamEvent> => (event, out) => {
  const parsed = eventJson(event, secrets)
  if (parsed === STOP || parsed instanceof UpstreamError) return parsed
  const json = parsed.json
  const type = typeof json === "object" && json !== null && typeof (json as { type?: unknown }).type === "string"
    ? (json as { type: string }).type
    : event.event ?? "message"
  if (type === "error" || event.event === "error") return streamError(event.data, json, secrets)
  const decodeEvent = decoders.get(type)
  if (decodeEvent === undefined) {
    out.push({ type: "unknown", event: type, data: json })
    return CONTINUE
  }
  const decoded = decodeEvent(json)
  if (Either.isLeft(decoded)) return decoded.left
  out.push(decoded.right)
  return terminalTypes.has(type) ? STOP : CONTINUE
}

/** `POST /v1/responses` with `stream: true`. @internal */
export const stream: StreamDescriptor<Responses.ResponseCreateParams, Responses.ResponseStreamEvent> = {
  name: "responses",
  route,
  params: Responses.ResponseCreateParams,
  streamFields: () => ({}),
  handler,
  terminal: "its terminal event (response.completed, response.incomplete or response.failed)"
}
