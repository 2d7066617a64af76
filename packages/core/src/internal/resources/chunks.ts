import * as Either from "effect/Either"
import { UpstreamError } from "../../TensormeshError.js"
import type { Decoder } from "../endpoint.js"
import { CONTINUE, eventJson, type Handler, STOP, streamError } from "../events.js"

/**
 * `stream_options.include_usage` on by default; a caller's own `stream_options` wins.
 *
 * @internal
 */
export const usageByDefault = (request: { readonly stream_options?: unknown }): Record<string, unknown> =>
  request.stream_options === undefined || request.stream_options === null
    ? { stream_options: { include_usage: true } }
    : {}

/**
 * Events of data-only SSE (chat and completions): JSON chunks until `data: [DONE]`; an `{"error": …}` payload or
 * `event: error` ends the stream with `StreamError`.
 *
 * @internal
 */
export const chunkHandler = <A>(decode: Decoder<A>) => (secrets: ReadonlyArray<string>): Handler<A> => (event, out) => {
  const parsed = eventJson(event, secrets)
  if (parsed === STOP || parsed instanceof UpstreamError) return parsed
  const json = parsed.json
  if (
    event.event === "error" || (typeof json === "object" && json !== null && "error" in json && !("choices" in json))
  ) {
    return streamError(event.data, json, secrets)
  }
  const chunk = decode(json)
  if (Either.isLeft(chunk)) return chunk.left
  out.push(chunk.right)
  return CONTINUE
}
