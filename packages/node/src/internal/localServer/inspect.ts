/**
 * The request log behind the inspection API: what the server received (method, path, headers with secrets
 * redacted, body), how many requests are in flight, and for each whether the client closed it before the reply
 * was complete.
 *
 * It listens on the Node server itself, ahead of the Effect handler, so that it sees every request (404s and
 * preflights included) and the moment its connection closes; the body is added by the pipeline once it is read.
 * Requests under {@link PREFIX} (the inspection routes) are neither logged nor counted.
 *
 * @internal
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type { HttpServerRequest } from "@effect/platform/HttpServerRequest"
import type * as Http from "node:http"
import type * as Api from "../../LocalServer.js"
import { PREFIX, REQUESTS_PATH } from "./paths.js"
import * as Reply from "./reply.js"

/** @internal */
export { PREFIX, REQUESTS_PATH }

/** @internal */
export const DEFAULT_MAX_REQUESTS = 200

/** Bodies are kept up to this many UTF-16 code units (about 64 KiB of ASCII). @internal */
export const MAX_BODY_CHARS = 65_536

const REDACTED_HEADERS = new Set(["authorization", "x-user-id", "proxy-authorization", "cookie", "x-api-key"])

/** @internal */
export const REDACTED = "<redacted>"

interface Entry {
  readonly id: number
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly receivedAt: number
  bodyText: string | undefined
  bodyTruncated: boolean
  state: Api.ReceivedRequest["state"]
  status: number | undefined
  serverReset: boolean
}

/** @internal */
export interface Inspector {
  /** The Node `request` listener; registered before the Effect handler. */
  readonly onRequest: (request: Http.IncomingMessage, response: Http.ServerResponse) => void
  /** Adds the body text the pipeline read. */
  readonly recordBody: (request: HttpServerRequest, text: string) => void
  /** Marks a request whose connection the server resets on purpose (a fault), so it is not a client close. */
  readonly markReset: (request: HttpServerRequest) => void
  readonly requests: () => ReadonlyArray<Api.ReceivedRequest>
  readonly inFlight: () => number
  /** The most requests in flight at once since the server started. */
  readonly peak: () => number
  readonly clear: () => void
}

const redactHeaders = (headers: Http.IncomingHttpHeaders): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name] = REDACTED_HEADERS.has(name) ? REDACTED : Array.isArray(value) ? value.join(", ") : value
  }
  return out
}

const bodyOf = (entry: Entry): unknown => {
  if (entry.bodyText === undefined || entry.bodyTruncated) return entry.bodyText
  try {
    return JSON.parse(entry.bodyText) as unknown
  } catch {
    return entry.bodyText
  }
}

const view = (entry: Entry): Api.ReceivedRequest => ({
  id: entry.id,
  method: entry.method,
  path: entry.path,
  headers: entry.headers,
  body: bodyOf(entry),
  bodyTruncated: entry.bodyTruncated,
  receivedAt: entry.receivedAt,
  state: entry.state,
  clientClosedEarly: entry.state === "client-closed",
  status: entry.status
})

/**
 * A request log keeping the last `maxRequests` requests (0 keeps none but still counts those in flight).
 *
 * @internal
 */
export const make = (maxRequests: number = DEFAULT_MAX_REQUESTS): Inspector => {
  const max = Math.max(0, Math.floor(maxRequests))
  // A ring of the last `max` entries: `log[stored % max]` is overwritten next.
  const log: Array<Entry> = []
  const byMessage = new WeakMap<Http.IncomingMessage, Entry>()
  let lastId = 0
  let stored = 0
  let inFlight = 0
  let peak = 0
  const entryOf = (request: HttpServerRequest) => byMessage.get(NodeHttpServerRequest.toIncomingMessage(request))
  return {
    onRequest: (request, response) => {
      const path = request.url ?? "/"
      if (path.startsWith(PREFIX)) return
      const entry: Entry = {
        id: ++lastId,
        method: request.method ?? "GET",
        path,
        headers: redactHeaders(request.headers),
        receivedAt: Date.now(),
        bodyText: undefined,
        bodyTruncated: false,
        state: "in-flight",
        status: undefined,
        serverReset: false
      }
      peak = Math.max(peak, ++inFlight)
      byMessage.set(request, entry)
      if (max > 0) log[stored++ % max] = entry
      response.once("close", () => {
        inFlight--
        entry.status = response.headersSent ? response.statusCode : undefined
        entry.state = response.writableFinished ? "completed" : entry.serverReset ? "reset" : "client-closed"
      })
    },
    recordBody: (request, text) => {
      const entry = entryOf(request)
      if (entry === undefined) return
      entry.bodyTruncated = text.length > MAX_BODY_CHARS
      entry.bodyText = entry.bodyTruncated ? text.slice(0, MAX_BODY_CHARS) : text
    },
    markReset: (request) => {
      const entry = entryOf(request)
      if (entry !== undefined) entry.serverReset = true
    },
    requests: () => {
      if (stored <= max) return log.map(view)
      const start = stored % max
      return [...log.slice(start), ...log.slice(0, start)].map(view)
    },
    inFlight: () => inFlight,
    peak: () => peak,
    clear: () => {
      log.length = 0
      stored = 0
    }
  }
}

/**
 * The HTTP face of the log, under {@link REQUESTS_PATH}: `GET` gives `{ inFlight, requests }`, `DELETE` empties the
 * log (204). Any other path under {@link PREFIX} is 404, any other method 405.
 *
 * @internal
 */
export const route = (inspector: Inspector, method: string, path: string): Reply.Reply => {
  if (path !== REQUESTS_PATH) return Reply.json({ detail: "Not Found" }, 404)
  if (method === "GET") return Reply.json({ inFlight: inspector.inFlight(), requests: inspector.requests() })
  if (method === "DELETE") {
    inspector.clear()
    return Reply.text("", 204, undefined)
  }
  return Reply.json({ detail: "Method Not Allowed" }, 405)
}
