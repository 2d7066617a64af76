/**
 * Writing a reply: as an `HttpServerResponse` (with pacing between SSE chunks, and stalls), or straight to the Node
 * socket for connection resets.
 *
 * @internal
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type { HttpServerRequest } from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as Http from "node:http"
import * as Reply from "./reply.js"

/** @internal */
export interface Delivery {
  /** The pause between two chunks. */
  readonly delay: Duration.Duration
  /** Send this many chunks (pings excluded), then never finish. */
  readonly stallAfterChunks: number | undefined
  /** Send the headers and this many body bytes, then destroy the connection. */
  readonly resetAfterBytes: number | undefined
}

const encoder = new TextEncoder()

const statusOf = (reply: Reply.Reply) => reply._tag === "Sse" ? 200 : reply.status

const contentTypeOf = (reply: Reply.Reply) => reply._tag === "Sse" ? Reply.SSE_CONTENT_TYPE : reply.contentType

/**
 * Frames pulled from the (lazy) chunks this many at a time: the writer waits for `drain` between pulls, so at most
 * this many frames and the socket's buffer are in memory.
 */
const FRAMES_PER_PULL = 32

function* iterate(chunks: Iterable<string>): Generator<string> {
  yield* chunks
}

const paced = (chunks: Iterable<string>, delay: Duration.Duration): Stream.Stream<Uint8Array> => {
  const stream = Stream.suspend(() => Stream.fromIteratorSucceed(iterate(chunks), FRAMES_PER_PULL)).pipe(
    Stream.map((chunk) => encoder.encode(chunk))
  )
  if (Duration.toMillis(delay) <= 0) return stream
  return stream.pipe(
    Stream.zipWithIndex,
    Stream.mapEffect(([bytes, index]) => index === 0 ? Effect.succeed(bytes) : Effect.as(Effect.sleep(delay), bytes))
  )
}

/** The chunks before the stall point: `count` non-ping chunks and the pings before them. */
function* beforeStall(chunks: Iterable<string>, count: number): Generator<string> {
  let seen = 0
  if (count <= 0) return
  for (const chunk of chunks) {
    yield chunk
    if (chunk !== Reply.PING_FRAME && ++seen >= count) return
  }
}

/** Writes and waits until the socket has taken the bytes (back-pressure). */
const write = (response: Http.ServerResponse, bytes: Uint8Array): Effect.Effect<void> =>
  bytes.length === 0 ? Effect.void : Effect.async<void>((resume) => {
    response.write(bytes, () => resume(Effect.void))
  })

/**
 * Destroys the connection before any byte of the response.
 *
 * @internal
 */
export const resetNow = (request: HttpServerRequest): Effect.Effect<never> =>
  Effect.suspend(() => {
    NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
    return Effect.never
  })

const resetAfter = (
  request: HttpServerRequest,
  reply: Reply.Reply,
  chunks: Iterable<string>,
  delivery: Delivery,
  limit: number
): Effect.Effect<never> =>
  Effect.gen(function*() {
    const response = NodeHttpServerRequest.toServerResponse(request)
    const contentType = contentTypeOf(reply)
    response.writeHead(statusOf(reply), {
      ...reply.headers,
      ...(contentType === undefined ? {} : { "content-type": contentType })
    })
    response.flushHeaders()
    let budget = limit
    let index = 0
    for (const chunk of chunks) {
      if (budget <= 0) break
      if (index++ > 0 && Duration.toMillis(delivery.delay) > 0) yield* Effect.sleep(delivery.delay)
      const bytes = encoder.encode(chunk)
      yield* write(response, bytes.subarray(0, budget))
      budget -= bytes.length
    }
    response.destroy()
    return yield* Effect.never
  })

/**
 * Writes the chunks of a reply as the delivery says.
 *
 * @internal
 */
export const send = (
  request: HttpServerRequest,
  reply: Reply.Reply,
  chunks: Iterable<string>,
  delivery: Delivery
): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  if (delivery.resetAfterBytes !== undefined) {
    return resetAfter(request, reply, chunks, delivery, delivery.resetAfterBytes)
  }
  const options = { status: statusOf(reply), headers: reply.headers, contentType: contentTypeOf(reply) }
  if (reply._tag === "Body" && delivery.stallAfterChunks === undefined) {
    return Effect.succeed(
      reply.body.length === 0 && reply.contentType === undefined
        ? HttpServerResponse.empty({ status: options.status, headers: options.headers })
        : HttpServerResponse.text(reply.body, options)
    )
  }
  const flushHeaders = Stream.fromEffect(Effect.sync(() => {
    NodeHttpServerRequest.toServerResponse(request).flushHeaders()
  })).pipe(Stream.drain)
  const body = delivery.stallAfterChunks === undefined
    ? paced(chunks, delivery.delay)
    : paced(beforeStall(chunks, delivery.stallAfterChunks), delivery.delay).pipe(Stream.concat(Stream.never))
  return Effect.succeed(HttpServerResponse.stream(Stream.concat(flushHeaders, body), options))
}
