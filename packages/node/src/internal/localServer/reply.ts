/**
 * What a route answers, before faults and delays are applied and it is written: a complete body, or SSE frames
 * produced one at a time as the socket takes them (never all built in memory).
 *
 * @internal
 */

/** @internal */
export interface BodyReply {
  readonly _tag: "Body"
  readonly status: number
  readonly contentType: string | undefined
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

/**
 * An SSE body. `data` streams (chat, completions) end with `data: [DONE]`; `event` streams (responses) have no
 * terminator. `frames` is lazy (usually a generator) and iterated once, as the response is written.
 *
 * @internal
 */
export interface SseReply {
  readonly _tag: "Sse"
  readonly flavor: "data" | "event"
  readonly frames: Iterable<string>
  readonly headers: Readonly<Record<string, string>>
}

/** @internal */
export type Reply = BodyReply | SseReply

/** @internal */
export const JSON_CONTENT_TYPE = "application/json"

/** @internal */
export const SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"

/** @internal */
export const json = (body: unknown, status: number = 200): Reply => ({
  _tag: "Body",
  status,
  contentType: JSON_CONTENT_TYPE,
  body: JSON.stringify(body),
  headers: {}
})

/** @internal */
export const text = (body: string, status: number, contentType: string | undefined): Reply => ({
  _tag: "Body",
  status,
  contentType,
  body,
  headers: {}
})

/** @internal */
export const withHeaders = (reply: Reply, headers: Readonly<Record<string, string>>): Reply => ({
  ...reply,
  headers: { ...reply.headers, ...headers }
})

/**
 * A data-only SSE frame: `data: <json>\n\n`.
 *
 * @internal
 */
export const dataFrame = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`

/**
 * A named SSE frame: `event: <type>\ndata: <json>\n\n`.
 *
 * @internal
 */
export const eventFrame = <A extends { readonly type: string }>(payload: A): string =>
  `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`

/** @internal */
export const DONE_FRAME = "data: [DONE]\n\n"

/** @internal */
export const PING_FRAME = ": ping\n\n"

/** @internal */
export const sse = (flavor: "data" | "event", frames: Iterable<string>): Reply => ({
  _tag: "Sse",
  flavor,
  frames,
  headers: {}
})
