// The fault table: each row a fault injected by the local server (or a transport condition) and the outcome a user
// must see. Shared by the fault-suite test (which asserts it) and scripts/reliability.ts (which prints it).
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import {
  ChatStream,
  type ClientOptions,
  type InferenceClient,
  Serverless,
  ServerlessLayer,
  type Transport as CoreTransport
} from "@tensormesh-effect/core"
import { Clock, Duration, Effect, Layer, Redacted, Stream } from "effect"
import * as util from "node:util"
import * as LocalServer from "../../src/LocalServer.js"

export type Call = "chat.create" | "chat.stream" | "models.list"

export interface Row {
  readonly name: string
  readonly call: Call
  /** The `x-tensormesh-fault` header sent with every attempt. */
  readonly header?: string
  /** Server-side rules (e.g. only the first attempt faulted); a function when they depend on the time of the run. */
  readonly rules?: ReadonlyArray<LocalServer.FaultRule> | (() => ReadonlyArray<LocalServer.FaultRule>)
  readonly server?: LocalServer.Options
  readonly client?: ClientOptions
  /** Point the client at a port where nothing listens. */
  readonly refused?: boolean
  readonly expect: {
    /** `ok`, or the error's tag and reason. */
    readonly outcome: string
    readonly attempts: number
    /** Lower bound of the time the call took, in ms (a wait the SDK must honour). */
    readonly minMillis?: number
    /** Upper bound: the call must finish (no hang). */
    readonly maxMillis: number
    /** For streams: text deltas delivered before the failure. */
    readonly delivered?: "none" | "some"
    /** Upper bound on the length of the error's `message`. */
    readonly maxMessageLength?: number
  }
}

export interface Observed {
  readonly outcome: string
  readonly attempts: number
  readonly millis: number
  readonly delivered: number
  readonly status: number | undefined
  readonly retryable: boolean | undefined
  /** The length of the error's `message` (0 on success). */
  readonly messageLength: number
  /** Whether the error renders (`String`, `JSON.stringify`, `util.inspect`, a formatted `retryAfter`) without throwing. */
  readonly renders: boolean
  /** Whether the API key appears in any rendering of the error. */
  readonly leaked: boolean
}

const shapes = ["nested", "flat", "string", "detail", "text", "html", "empty"] as const
const outcomeOf: Record<number, string> = {
  400: "ValidationError/BadRequest",
  401: "AuthError/Unauthorized",
  403: "AuthError/Forbidden",
  404: "ValidationError/NotFound",
  405: "UpstreamError/UnexpectedStatus",
  408: "UpstreamError/UnexpectedStatus",
  409: "UpstreamError/UnexpectedStatus",
  413: "ValidationError/PayloadTooLarge",
  422: "ValidationError/UnprocessableEntity",
  429: "UpstreamError/RateLimited",
  500: "UpstreamError/ServerError",
  502: "UpstreamError/ServerError",
  503: "UpstreamError/Unavailable",
  504: "UpstreamError/ServerError"
}

const KEY = Redacted.make("ak-fault-suite-0123456789")
const quick = { maxRetries: 0 } satisfies ClientOptions
const firstOnly = (route: LocalServer.RoutePath, fault: string): ReadonlyArray<LocalServer.FaultRule> => [
  { route, times: 1, fault }
]
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toUTCString()
const always = (fault: LocalServer.Fault) => () => [{ route: "*" as const, fault }]
const deepJson = (depth: number) => "[".repeat(depth) + "]".repeat(depth)

export const rows = (): ReadonlyArray<Row> => [
  // every status in every error-body shape, no retries: the tag and reason users branch on
  ...Object.keys(outcomeOf).flatMap((status) =>
    shapes.map((shape): Row => ({
      name: `${status} ${shape} body`,
      call: "chat.create",
      header: `status=${status}; shape=${shape}`,
      client: quick,
      expect: { outcome: outcomeOf[Number(status)], attempts: 1, maxMillis: 2000 }
    }))
  ),
  // waits the server asks for
  {
    name: "429 Retry-After: 1 (seconds), then success",
    call: "chat.create",
    rules: firstOnly("/v1/chat/completions", "status=429; shape=text; retry-after=1"),
    expect: { outcome: "ok", attempts: 2, minMillis: 1000, maxMillis: 3000 }
  },
  {
    name: "503 Retry-After as an HTTP date (~2 s), then success",
    call: "chat.create",
    rules: () => firstOnly("/v1/chat/completions", `status=503; retry-after=${inSeconds(2)}`),
    expect: { outcome: "ok", attempts: 2, minMillis: 900, maxMillis: 4000 }
  },
  {
    name: "429 retry-after-ms: 700, then success",
    call: "chat.create",
    rules: firstOnly("/v1/chat/completions", "status=429; retry-after-ms=700"),
    expect: { outcome: "ok", attempts: 2, minMillis: 700, maxMillis: 3000 }
  },
  {
    name: "503 on every attempt: 1 + maxRetries attempts with backoff",
    call: "chat.create",
    header: "status=503",
    client: { maxRetries: 2 },
    expect: { outcome: "UpstreamError/Unavailable", attempts: 3, minMillis: 1100, maxMillis: 4000 }
  },
  {
    name: "500 on a POST: not retried (it may have been processed)",
    call: "chat.create",
    header: "status=500",
    client: { maxRetries: 2 },
    expect: { outcome: "UpstreamError/ServerError", attempts: 1, maxMillis: 2000 }
  },
  {
    name: "500 on a GET: retried",
    call: "models.list",
    rules: [{ route: "/v1/models", times: 2, fault: "status=500" }],
    client: { maxRetries: 2 },
    expect: { outcome: "ok", attempts: 3, minMillis: 1100, maxMillis: 4000 }
  },
  // transport
  {
    name: "connection refused: POST retried (nothing was sent)",
    call: "chat.create",
    refused: true,
    client: { maxRetries: 2 },
    expect: { outcome: "UpstreamError/ConnectionRefused", attempts: 3, minMillis: 1100, maxMillis: 4000 }
  },
  {
    name: "connection reset before headers (POST)",
    call: "chat.create",
    header: "reset",
    client: { maxRetries: 2 },
    expect: { outcome: "UpstreamError/Connection", attempts: 1, maxMillis: 2000 }
  },
  {
    name: "connection reset before headers (GET, retried)",
    call: "models.list",
    header: "reset",
    client: { maxRetries: 2 },
    expect: { outcome: "UpstreamError/Connection", attempts: 3, minMillis: 1100, maxMillis: 4000 }
  },
  {
    name: "connection reset mid-body",
    call: "chat.create",
    header: "reset-after-bytes=20",
    client: quick,
    expect: { outcome: "UpstreamError/Connection", attempts: 1, maxMillis: 2000 }
  },
  {
    name: "connection reset mid-stream",
    call: "chat.stream",
    header: "reset-after-bytes=1200",
    client: quick,
    expect: { outcome: "UpstreamError/Connection", attempts: 1, maxMillis: 2000, delivered: "some" }
  },
  {
    name: "stall before headers: per-attempt timeout",
    call: "chat.create",
    header: "stall",
    client: { timeout: "500 millis", maxRetries: 2 },
    expect: { outcome: "UpstreamError/Timeout", attempts: 1, minMillis: 500, maxMillis: 2000 }
  },
  {
    name: "stall before headers on a GET: retried within the total budget",
    call: "models.list",
    header: "stall",
    client: { timeout: "400 millis", totalTimeout: "1500 millis", maxRetries: 5 },
    expect: { outcome: "UpstreamError/Timeout", attempts: 2, minMillis: 900, maxMillis: 2500 }
  },
  {
    name: "stall mid-stream: idle timeout",
    call: "chat.stream",
    header: "stall-after-chunks=3",
    client: { idleTimeout: "500 millis", maxRetries: 0 },
    expect: { outcome: "UpstreamError/IdleTimeout", attempts: 1, minMillis: 500, maxMillis: 2500, delivered: "some" }
  },
  // bodies
  {
    name: "malformed JSON body",
    call: "chat.create",
    header: "malformed-json",
    client: quick,
    expect: { outcome: "UpstreamError/InvalidResponse", attempts: 1, maxMillis: 2000 }
  },
  {
    name: "a body of the wrong shape",
    call: "chat.create",
    header: "wrong-shape",
    client: quick,
    expect: { outcome: "UpstreamError/InvalidResponse", attempts: 1, maxMillis: 2000 }
  },
  {
    name: "an error event mid-stream",
    call: "chat.stream",
    header: "error-after-chunks=3",
    client: quick,
    expect: { outcome: "UpstreamError/StreamError", attempts: 1, maxMillis: 2000, delivered: "some" }
  },
  {
    name: "a stream cut without [DONE]",
    call: "chat.stream",
    header: "cut-after-chunks=3",
    client: quick,
    expect: { outcome: "UpstreamError/StreamTruncated", attempts: 1, maxMillis: 2000, delivered: "some" }
  },
  {
    name: "keep-alive pings between events",
    call: "chat.stream",
    header: "ping",
    client: quick,
    expect: { outcome: "ok", attempts: 1, maxMillis: 2000, delivered: "some" }
  },
  // hostile error bodies (issue 11): linear time, bounded messages, renderable errors, no secret echoed
  ...[100_000, 400_000].map((size): Row => ({
    name: `502 whose body is ${size / 1000} KB of \`<\``,
    call: "chat.create",
    rules: always({ status: 502, shape: "text", message: "<".repeat(size) }),
    client: quick,
    expect: { outcome: "UpstreamError/ServerError", attempts: 1, maxMillis: 2000, maxMessageLength: 400 }
  })),
  ...[100_000, 400_000].map((size): Row => ({
    name: `an error event mid-stream whose message is ${size / 1000} KB of \`<\``,
    call: "chat.stream",
    rules: always({ errorAfterChunks: 3, message: "<".repeat(size) }),
    client: quick,
    expect: {
      outcome: "UpstreamError/StreamError",
      attempts: 1,
      maxMillis: 2000,
      delivered: "some",
      maxMessageLength: 4200
    }
  })),
  {
    name: "500 with a 10 MB error message: a short message",
    call: "chat.create",
    rules: always({ status: 500, message: "x".repeat(10_000_000) }),
    client: quick,
    expect: { outcome: "UpstreamError/ServerError", attempts: 1, maxMillis: 4000, maxMessageLength: 4200 }
  },
  {
    name: "500 with a 100k-deep JSON body: the error serialises",
    call: "chat.create",
    rules: always({ status: 500, shape: "text", message: deepJson(100_000) }),
    client: quick,
    expect: { outcome: "UpstreamError/ServerError", attempts: 1, maxMillis: 2000 }
  },
  {
    name: "429 retry-after-ms: 1e308: capped, not waited for, formattable",
    call: "chat.create",
    rules: always({ status: 429, retryAfterMs: 1e308 }),
    client: { maxRetries: 2 },
    expect: { outcome: "UpstreamError/RateLimited", attempts: 1, maxMillis: 2000 }
  },
  {
    name: "503 Retry-After: 1e300 seconds: capped, not waited for",
    call: "models.list",
    rules: always({ status: 503, retryAfter: 1e300 }),
    client: { maxRetries: 2 },
    expect: { outcome: "UpstreamError/Unavailable", attempts: 1, maxMillis: 2000 }
  },
  {
    name: "401 echoing the key as a bearer credential: scrubbed",
    call: "chat.create",
    rules: always({ status: 401, message: `Invalid API key: Bearer ${Redacted.value(KEY)}` }),
    client: quick,
    expect: { outcome: "AuthError/Unauthorized", attempts: 1, maxMillis: 2000 }
  },
  {
    name: "401 echoing the key as a bearer credential in a text body: scrubbed",
    call: "chat.create",
    rules: always({ status: 401, shape: "text", message: `Invalid API key: Bearer ${Redacted.value(KEY)}` }),
    client: quick,
    expect: { outcome: "AuthError/Unauthorized", attempts: 1, maxMillis: 2000 }
  },
  {
    name: "400 echoing the bare key (no Bearer prefix) in its message: scrubbed",
    call: "chat.create",
    rules: always({ status: 400, message: `key ${Redacted.value(KEY)} is not allowed for this model` }),
    client: quick,
    expect: { outcome: "ValidationError/BadRequest", attempts: 1, maxMillis: 2000 }
  },
  {
    name: "an error event echoing the bare key mid-stream: scrubbed",
    call: "chat.stream",
    rules: always({ errorAfterChunks: 2, message: `quota of ${Redacted.value(KEY)} exhausted` }),
    client: quick,
    expect: { outcome: "UpstreamError/StreamError", attempts: 1, maxMillis: 2000 }
  },
  {
    name: "a slow trickle under the idle timeout (120 ms per token, idle 600 ms)",
    call: "chat.stream",
    server: { tokenDelay: "120 millis" },
    client: { idleTimeout: "600 millis", maxRetries: 0 },
    expect: { outcome: "ok", attempts: 1, minMillis: 600, maxMillis: 15_000, delivered: "some" }
  }
]

const request = { model: "tensormesh/echo", messages: [{ role: "user" as const, content: "Tell me a short story." }] }

const invoke = (tm: InferenceClient, call: Call, headers: Record<string, string>, delivered: { n: number }) => {
  switch (call) {
    case "chat.create":
      return Effect.asVoid(tm.chat.completions.create(request, { headers }))
    case "models.list":
      return Effect.asVoid(tm.models.list({ headers }))
    case "chat.stream":
      return tm.chat.completions.stream(request, { headers }).pipe(
        ChatStream.textDeltas,
        Stream.runForEach(() => Effect.sync(() => void delivered.n++))
      )
  }
}

/** Every way an error is rendered, or `undefined` when one throws. */
const renderings = (error: unknown): ReadonlyArray<string> | undefined => {
  if (error === undefined) return []
  try {
    const retryAfter = (error as { retryAfter?: Duration.Duration }).retryAfter
    return [
      String(error),
      JSON.stringify(error),
      util.inspect(error, { depth: Infinity }),
      retryAfter === undefined ? "" : Duration.format(retryAfter)
    ]
  } catch {
    return undefined
  }
}

/** The transport a row runs over, and how it counts attempts. */
export interface Transport {
  /** The SDK's transport seam to run over (the Node transport, counting its exchanges). */
  readonly layer: Layer.Layer<CoreTransport.Transport>
  /** Exchanges so far. */
  readonly attempts: () => number
}

/**
 * Runs one row against a fresh local server and reports what happened; over a transport built from undici's
 * `HttpClient` by default, or over `transport` (the Node transport tests run the same table over it).
 */
export const runRow = (row: Row, transport?: Transport): Effect.Effect<Observed> =>
  Effect.scoped(Effect.gen(function*() {
    const faults = typeof row.rules === "function" ? row.rules() : row.rules
    const server = yield* LocalServer.make({ ...row.server, ...(faults ? { faults } : {}) }).pipe(
      Effect.orDie
    )
    const baseUrl = row.refused ? "http://127.0.0.1:9/v1" : server.baseUrl
    let counted = 0
    const attempts = transport?.attempts ?? (() => counted)
    const delivered = { n: 0 }
    const layer = transport === undefined
      ? ServerlessLayer({
        baseUrl,
        apiKey: KEY,
        ...row.client,
        transformClient: HttpClient.tapRequest(() => Effect.sync(() => void counted++))
      }).pipe(Layer.provide(NodeHttpClient.layerUndici))
      : ServerlessLayer.withTransport({ baseUrl, apiKey: KEY, ...row.client }).pipe(Layer.provide(transport.layer))
    const start = yield* Clock.currentTimeMillis
    const exit = yield* Effect.flatMap(
      Serverless,
      (tm) => invoke(tm, row.call, row.header ? { [LocalServer.FAULT_HEADER]: row.header } : {}, delivered)
    ).pipe(Effect.provide(layer), Effect.either)
    const millis = (yield* Clock.currentTimeMillis) - start
    const error = exit._tag === "Left" ? exit.left : undefined
    const rendered = renderings(error)
    return {
      outcome: error === undefined ? "ok" : `${error._tag}/${error.reason}`,
      attempts: attempts(),
      millis,
      delivered: delivered.n,
      status: error?.status,
      retryable: error?.retryable,
      messageLength: error?.message.length ?? 0,
      renders: rendered !== undefined,
      leaked: rendered !== undefined && rendered.some((text) => text.includes(Redacted.value(KEY)))
    }
  }))
