/**
 * Fault injection: the `x-tensormesh-fault` grammar, server-side rules, and what faults do to a reply.
 *
 * @internal
 */
import * as Either from "effect/Either"
import type * as Api from "../../LocalServer.js"
import { defaultMessage, flatBody, nestedBody } from "./errors.js"
import * as Reply from "./reply.js"

/** @internal */
export const FAULT_HEADER = "x-tensormesh-fault"

/** @internal */
export const TOKEN_DELAY_HEADER = "x-tensormesh-token-delay-ms"

const SHAPES: ReadonlyArray<Api.ErrorShape> = ["nested", "flat", "string", "detail", "text", "html", "empty"]

type Mutable<A> = { -readonly [K in keyof A]: A[K] }

const flags = {
  reset: "reset",
  stall: "stall",
  "malformed-json": "malformedJson",
  "wrong-shape": "wrongShape",
  ping: "ping",
  "request-id": "requestId"
} as const

const counts = {
  "retry-after-ms": "retryAfterMs",
  "reset-after-bytes": "resetAfterBytes",
  "stall-after-chunks": "stallAfterChunks",
  "error-after-chunks": "errorAfterChunks",
  "cut-after-chunks": "cutAfterChunks"
} as const

const isCount = (value: string) => /^\d+$/.test(value)

/** @internal */
export const parseFault = (header: string): Either.Either<Api.Fault, string> => {
  const fault: Mutable<Api.Fault> = {}
  for (const raw of header.split(";")) {
    const directive = raw.trim()
    if (directive.length === 0) continue
    const eq = directive.indexOf("=")
    const key = (eq === -1 ? directive : directive.slice(0, eq)).trim().toLowerCase()
    const value = eq === -1 ? undefined : directive.slice(eq + 1).trim()
    if (key in flags) {
      if (value !== undefined && value !== "true") return Either.left(`\`${key}\` takes no value`)
      fault[flags[key as keyof typeof flags]] = true
    } else if (key in counts) {
      if (value === undefined || !isCount(value)) return Either.left(`\`${key}\` needs a non-negative integer`)
      fault[counts[key as keyof typeof counts]] = Number(value)
    } else if (key === "status") {
      if (value === undefined || !isCount(value) || Number(value) < 100 || Number(value) > 599) {
        return Either.left("`status` needs an HTTP status (100-599)")
      }
      fault.status = Number(value)
    } else if (key === "shape") {
      if (!SHAPES.includes(value as Api.ErrorShape)) return Either.left(`\`shape\` is one of ${SHAPES.join(", ")}`)
      fault.shape = value as Api.ErrorShape
    } else if (key === "message") {
      try {
        fault.message = decodeURIComponent(value ?? "")
      } catch {
        return Either.left("`message` is not valid percent-encoded text")
      }
    } else if (key === "retry-after") {
      if (value === undefined || value.length === 0) return Either.left("`retry-after` needs seconds or an HTTP date")
      if (/^\d+(\.\d+)?$/.test(value)) fault.retryAfter = Number(value)
      else if (Number.isNaN(Date.parse(value))) return Either.left("`retry-after` needs seconds or an HTTP date")
      else fault.retryAfter = value
    } else {
      return Either.left(`unknown directive \`${key}\``)
    }
  }
  return Either.right(fault)
}

/** @internal */
export const formatFault = (fault: Api.Fault): string => {
  const out: Array<string> = []
  if (fault.status !== undefined) out.push(`status=${fault.status}`)
  if (fault.shape !== undefined) out.push(`shape=${fault.shape}`)
  if (fault.message !== undefined) out.push(`message=${encodeURIComponent(fault.message)}`)
  if (fault.retryAfter !== undefined) out.push(`retry-after=${fault.retryAfter}`)
  for (const [key, field] of Object.entries(counts)) {
    const value = fault[field]
    if (value !== undefined) out.push(`${key}=${value}`)
  }
  for (const [key, field] of Object.entries(flags)) {
    if (fault[field] === true) out.push(key)
  }
  return out.join(";")
}

/**
 * Server-side rules with their request counters.
 *
 * @internal
 */
export interface FaultRules {
  /** Counts the request against every rule of its route and merges the faults that apply. */
  readonly match: (route: Api.RoutePath) => Api.Fault | undefined
}

/**
 * Compiles the rules of the server options; a string fault that does not parse is an error.
 *
 * @internal
 */
export const makeRules = (rules: ReadonlyArray<Api.FaultRule>): Either.Either<FaultRules, string> => {
  const compiled: Array<{ readonly rule: Api.FaultRule; readonly fault: Api.Fault; seen: number }> = []
  for (const rule of rules) {
    const fault = typeof rule.fault === "string" ? parseFault(rule.fault) : Either.right(rule.fault)
    if (Either.isLeft(fault)) return Either.left(`invalid fault rule \`${String(rule.fault)}\`: ${fault.left}`)
    compiled.push({ rule, fault: fault.right, seen: 0 })
  }
  const routeMatches = (rule: Api.FaultRule, route: Api.RoutePath) =>
    rule.route === undefined || rule.route === "*" ||
    (typeof rule.route === "string" ? rule.route === route : rule.route.includes(route))
  return Either.right({
    match: (route) => {
      let merged: Api.Fault | undefined
      for (const entry of compiled) {
        if (!routeMatches(entry.rule, route)) continue
        entry.seen++
        const skip = entry.rule.skip ?? 0
        if (entry.seen > skip && entry.seen <= skip + (entry.rule.times ?? Infinity)) {
          merged = { ...merged, ...entry.fault }
        }
      }
      return merged
    }
  })
}

/**
 * The reply that replaces the route's when the fault says so: an error status, a malformed or mis-shaped body.
 *
 * @internal
 */
export const replacement = (fault: Api.Fault): Reply.Reply | undefined => {
  if (fault.malformedJson === true) {
    return Reply.text(
      `{"id":"chatcmpl-malformed","object":"chat.completion","choices":[{"index":0,`,
      fault.status ?? 200,
      Reply.JSON_CONTENT_TYPE
    )
  }
  if (fault.wrongShape === true) {
    return Reply.json({ object: "unexpected", choices: "not-a-list", data: 42, usage: "none" }, fault.status ?? 200)
  }
  if (fault.status === undefined) return undefined
  const status = fault.status
  const message = fault.message ?? defaultMessage(status)
  switch (fault.shape ?? "nested") {
    case "nested":
      return Reply.json(nestedBody(status, message), status)
    case "flat":
      return Reply.json(flatBody(status, message), status)
    case "string":
      return Reply.json({ error: message }, status)
    case "detail":
      return Reply.json({ detail: message }, status)
    case "text":
      return Reply.text(message, status, "text/plain; charset=utf-8")
    case "html":
      return Reply.text(`<html><body><h1>${status} ${message}</h1></body></html>`, status, "text/html; charset=utf-8")
    case "empty":
      return Reply.text("", status, undefined)
  }
}

/**
 * The headers a fault adds to whatever is answered.
 *
 * @internal
 */
export const faultHeaders = (fault: Api.Fault, requestId: () => string): Record<string, string> => {
  const headers: Record<string, string> = {}
  if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter)
  if (fault.retryAfterMs !== undefined) headers["retry-after-ms"] = String(fault.retryAfterMs)
  if (fault.requestId === true) headers["x-request-id"] = requestId()
  return headers
}

const errorFrame = (reply: Reply.SseReply, index: number, message: string): string => {
  if (reply.flavor === "data") return Reply.dataFrame(nestedBody(500, message))
  const event = { type: "error", sequence_number: index, code: "server_error", message, param: null }
  return Reply.eventFrame(event)
}

/** The first `count` frames, counted into `taken`. */
function* take(frames: Iterable<string>, count: number, taken: { n: number }): Generator<string> {
  if (count <= 0) return
  for (const frame of frames) {
    yield frame
    if (++taken.n >= count) return
  }
}

function* faulted(reply: Reply.SseReply, fault: Api.Fault): Generator<string> {
  const done = reply.flavor === "data"
  if (fault.errorAfterChunks !== undefined) {
    const taken = { n: 0 }
    yield* take(reply.frames, fault.errorAfterChunks, taken)
    yield errorFrame(reply, taken.n, fault.message ?? defaultMessage(500))
    if (done) yield Reply.DONE_FRAME
  } else if (fault.cutAfterChunks !== undefined) {
    yield* take(reply.frames, fault.cutAfterChunks, { n: 0 })
  } else {
    yield* reply.frames
    if (done) yield Reply.DONE_FRAME
  }
}

function* withPings(frames: Iterable<string>): Generator<string> {
  for (const frame of frames) {
    if (frame !== Reply.DONE_FRAME) yield Reply.PING_FRAME
    yield frame
  }
}

/**
 * The chunks of a reply once the stream faults are applied: SSE frames (with `[DONE]` for data streams), or the body
 * as a single chunk. Lazy: each frame is produced when the writer asks for it.
 *
 * @internal
 */
export const chunks = (reply: Reply.Reply, fault: Api.Fault): Iterable<string> => {
  if (reply._tag === "Body") return reply.body.length === 0 ? [] : [reply.body]
  const frames = faulted(reply, fault)
  return fault.ping === true ? withPings(frames) : frames
}

const RULE_ROUTES: ReadonlyArray<Api.RoutePath> = [
  "/v1/chat/completions",
  "/v1/completions",
  "/v1/responses",
  "/v1/models",
  "/tokenize",
  "/detokenize",
  "/health",
  "/version"
]

/**
 * A {@link Api.FaultRule} in one string: the fault grammar plus `route=`, `skip=` and `times=`.
 *
 * @internal
 */
export const parseFaultRule = (text: string): Either.Either<Api.FaultRule, string> => {
  let route: Api.FaultRule["route"]
  let skip: number | undefined
  let times: number | undefined
  const rest: Array<string> = []
  for (const raw of text.split(";")) {
    const directive = raw.trim()
    const eq = directive.indexOf("=")
    const key = (eq === -1 ? directive : directive.slice(0, eq)).trim().toLowerCase()
    const value = eq === -1 ? undefined : directive.slice(eq + 1).trim()
    if (key === "route") {
      const paths = (value ?? "").split(",").map((path) => path.trim())
      if (paths.length === 1 && paths[0] === "*") {
        route = "*"
        continue
      }
      const unknown = paths.find((path) => !RULE_ROUTES.includes(path as Api.RoutePath))
      if (unknown !== undefined) {
        return Either.left(`\`route\` is \`*\` or one or more of ${RULE_ROUTES.join(", ")} (got \`${unknown}\`)`)
      }
      route = paths.length === 1 ? paths[0] as Api.RoutePath : paths as Array<Api.RoutePath>
    } else if (key === "skip" || key === "times") {
      if (value === undefined || !isCount(value)) return Either.left(`\`${key}\` needs a non-negative integer`)
      if (key === "skip") skip = Number(value)
      else times = Number(value)
    } else {
      rest.push(directive)
    }
  }
  const fault = parseFault(rest.join(";"))
  if (Either.isLeft(fault)) return Either.left(fault.left)
  if (Object.keys(fault.right).length === 0) return Either.left("a fault rule needs at least one fault directive")
  return Either.right({
    fault: fault.right,
    ...(route === undefined ? {} : { route }),
    ...(skip === undefined ? {} : { skip }),
    ...(times === undefined ? {} : { times })
  })
}
