/**
 * Reading a request body within a size limit: a `Content-Length` over the limit is refused before any byte is read;
 * a body that grows past it (chunked, or lying about its length) is refused as soon as it does, and the rest is
 * discarded as it arrives, never buffered.
 *
 * @internal
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type { HttpServerRequest } from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import { ApiFailure, badRequest, nestedBody } from "./errors.js"

/**
 * The default limit on a request body: 16 MiB (a full 131,072-token context is well under 1 MiB of text).
 *
 * @internal
 */
export const DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024

/**
 * 413, in vLLM's nested error shape.
 *
 * @internal
 */
export const tooLarge = (limit: number): ApiFailure =>
  new ApiFailure({
    status: 413,
    body: nestedBody(413, `The request body is larger than this server's limit of ${limit} bytes.`)
  })

/**
 * The body as UTF-8 text, at most `limit` bytes of it.
 *
 * @internal
 */
export const readBody = (request: HttpServerRequest, limit: number): Effect.Effect<string, ApiFailure> =>
  Effect.suspend(() => {
    const incoming = NodeHttpServerRequest.toIncomingMessage(request)
    const declared = Number(incoming.headers["content-length"])
    if (Number.isFinite(declared) && declared > limit) {
      // the reply is sent without reading: Node discards the rest of the body after it
      return Effect.fail(tooLarge(limit))
    }
    return Effect.async<string, ApiFailure>((resume) => {
      const chunks: Array<Buffer> = []
      let size = 0
      const cleanup = () => {
        incoming.off("data", onData)
        incoming.off("end", onEnd)
        incoming.off("error", onError)
        incoming.off("aborted", onError)
      }
      const onData = (chunk: Buffer) => {
        size += chunk.length
        if (size <= limit) {
          chunks.push(chunk)
          return
        }
        cleanup()
        chunks.length = 0
        // keep the socket flowing so the 413 can be read, and drop whatever else arrives
        incoming.on("data", discard)
        resume(Effect.fail(tooLarge(limit)))
      }
      const onEnd = () => {
        cleanup()
        resume(Effect.succeed(Buffer.concat(chunks, size).toString("utf8")))
      }
      const onError = () => {
        cleanup()
        resume(Effect.fail(badRequest("Could not read the request body")))
      }
      incoming.on("data", onData)
      incoming.on("end", onEnd)
      incoming.on("error", onError)
      incoming.on("aborted", onError)
      return Effect.sync(cleanup)
    })
  })

const discard = () => {}
