// The two transports behind the one pipeline: a `Transport` given to the layer (as the Node transport is) against
// the transport built from an `HttpClient`. For the same server behaviour: the same requests on the wire, the same
// values, the same typed errors, the same retries and timeouts. Run on the TestClock and live.
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Chunk, Duration, Effect, Exit, Fiber, Layer, Option, Redacted, Stream, TestClock } from "effect"
import { ChatStream, Serverless, ServerlessLayer, type TensormeshError } from "../src/index.js"
import type { InferenceClient } from "../src/InferenceClient.js"
import * as F from "./support/fixtures.js"
import { data, type Handler, json, mockSeam, mockTransport, type Seen, sse, sseThenStall } from "./support/mock.js"

/** A seam transport and the HttpClient it must not touch. */
const directMock = (handler: Handler) => {
  const seam = mockSeam(handler)
  return { seen: seam.seen, layer: seam.layer }
}

type Call = (tm: InferenceClient) => Effect.Effect<unknown, TensormeshError>

interface Outcome {
  readonly exit: Exit.Exit<unknown, TensormeshError>
  readonly seen: ReadonlyArray<Seen>
}

/** Lets the handlers' promises settle and the TestClock move on, until the call is done. */
const runToEnd = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 400; i++) {
      const exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) return exit.value
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      yield* TestClock.adjust("250 millis")
    }
    return yield* Fiber.await(fiber)
  })

const run = (
  layer: Layer.Layer<Serverless, TensormeshError>,
  call: Call
) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Effect.flatMap(Serverless, call).pipe(Effect.provide(layer)))
    return yield* runToEnd(fiber)
  })

const overHttpClient = (client: Layer.Layer<HttpClient.HttpClient>, options: Record<string, unknown>) =>
  ServerlessLayer({ apiKey: Redacted.make(F.KEY), ...options }).pipe(Layer.provide(client))

const overSeam = (seam: ReturnType<typeof directMock>, options: Record<string, unknown>) =>
  ServerlessLayer.withTransport({ apiKey: Redacted.make(F.KEY), ...options }).pipe(Layer.provide(seam.layer))

const outcomes = (handler: () => Handler, call: Call, options: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const generic = mockTransport(handler())
    const direct = directMock(handler())
    const a: Outcome = { exit: yield* run(overHttpClient(generic.layer, options), call), seen: generic.seen }
    const b: Outcome = { exit: yield* run(overSeam(direct, options), call), seen: direct.seen }
    // whatever went out went out over the given transport
    assert.strictEqual(direct.seen.length > 0, generic.seen.length > 0, "the given transport was used")
    return [a, b] as const
  })

/** What must be the same on both paths: the wire (headers without content-length), the value or the error. */
const wire = (seen: ReadonlyArray<Seen>) =>
  seen.map((s) => {
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(s.headers)) if (name !== "content-length") headers[name] = value
    return { method: s.method, url: s.url, headers, json: s.json }
  })

const errorOf = (exit: Exit.Exit<unknown, TensormeshError>) => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return { defect: Cause.pretty(exit.cause) }
  const e = failure.value
  return {
    tag: e._tag,
    reason: e.reason,
    status: e.status,
    retryable: e.retryable,
    retryAfter: "retryAfter" in e && e.retryAfter !== undefined ? Duration.toMillis(e.retryAfter) : undefined,
    message: e.message
  }
}

const assertSame = ([a, b]: readonly [Outcome, Outcome]) => {
  assert.deepStrictEqual(wire(b.seen), wire(a.seen), "the same requests")
  assert.deepStrictEqual(errorOf(b.exit), errorOf(a.exit), "the same error")
  if (Exit.isSuccess(a.exit) && Exit.isSuccess(b.exit)) assert.deepStrictEqual(b.exit.value, a.exit.value)
  assert.strictEqual(Exit.isSuccess(b.exit), Exit.isSuccess(a.exit))
}

const chat = { model: "m", messages: [{ role: "user" as const, content: "hi" }] }
const create: Call = (tm) => tm.chat.completions.create(chat)
const collect: Call = (tm) => Stream.runCollect(tm.chat.completions.stream(chat)).pipe(Effect.map(Chunk.toArray))
const text: Call = (tm) => tm.chat.completions.stream(chat).pipe(ChatStream.textDeltas, Stream.mkString)

const streamOf = (...pieces: ReadonlyArray<string>) => () => sse(pieces)
const chunks = [
  data(F.chunk({ role: "assistant", content: "" })),
  data(F.chunk({ content: "<think>hm</think>Hel" })),
  data(F.chunk({ content: "lo" })),
  data(F.chunk({}, "stop")),
  data(F.usageChunk),
  "data: [DONE]\n\n"
]

const scenarios: ReadonlyArray<readonly [string, () => Handler, Call, Record<string, unknown>?]> = [
  ["chat create", () => () => json(F.chatCompletion("Paris.")), create],
  [
    "chat create with per-call headers and timeout",
    () => () => json(F.chatCompletion("Paris.")),
    (tm) => tm.chat.completions.create(chat, { headers: { "X-Trace": "1", Accept: "nope" }, timeout: "5 seconds" })
  ],
  ["chat create, layer headers", () => () => json(F.chatCompletion("Paris.")), create, {
    headers: { "X-Team": "a", "User-Agent": "mine" }
  }],
  ["a leaked think block moved to reasoning", () => () => json(F.chatCompletion("<think>x</think>Paris.")), create],
  ["429 with Retry-After, then success", () => (_, n) =>
    n === 1 ?
      json({ error: "slow down" }, { status: 429, headers: { "retry-after": "2" } }) :
      json(F.chatCompletion("ok")), create],
  ["500 on a POST: not retried", () => () => json({ error: { message: "boom" } }, { status: 500 }), create],
  [
    "500 on a GET: retried",
    () => (_, n) => n < 3 ? new Response("oops", { status: 500 }) : json({ object: "list", data: [] }),
    (tm) => tm.models.list()
  ],
  ["401", () => () => json({ error: "Unauthorized" }, { status: 401 }), create],
  [
    "422 with FastAPI details",
    () => () => json({ detail: [{ msg: "bad", loc: ["body", "x"] }] }, { status: 422 }),
    create
  ],
  ["malformed JSON", () => () => new Response("{oops", { status: 200 }), create],
  ["wrong shape (Schema's own message)", () => () => json({ id: 1, choices: "no" }), create],
  [
    "connection refused, retried",
    () => () => {
      throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } })
    },
    create,
    { maxRetries: 2 }
  ],
  ["no answer: per-attempt timeout", () => () => undefined, create, { timeout: "2 seconds", maxRetries: 0 }],
  [
    "request validation fails before sending",
    () => () => json({}),
    (tm) => tm.chat.completions.create({ model: "m", messages: [] } as any)
  ],
  [
    "tokenize",
    () => () => json({ count: 3, max_model_len: 10, tokens: [1, 2, 3] }),
    (tm) => tm.tokenize.create({ model: "m", prompt: "abc" })
  ],
  [
    "tokenize with a bad token",
    () => () => json({ count: 3, max_model_len: 10, tokens: [1, 2.5, 3] }),
    (tm) => tm.tokenize.create({ model: "m", prompt: "abc" })
  ],
  ["health with an empty body", () => () => new Response("", { status: 200 }), (tm) => tm.health.get()],
  [
    "raw response",
    () => () => json(F.chatCompletion("Paris."), { headers: { "x-request-id": "r-1" } }),
    (tm) =>
      Effect.flatMap(tm.chat.completions.withRawResponse.create(chat), (raw) =>
        Effect.map(raw.parse, (parsed) => ({
          status: raw.status,
          requestId: raw.requestId,
          headers: { ...raw.headers },
          json: raw.json,
          parsed
        })))
  ],
  ["stream: chunks", () => streamOf(...chunks), collect],
  ["stream: text deltas", () => streamOf(...chunks), text],
  ["stream: events split across reads", () => streamOf(chunks.join("").slice(0, 57), chunks.join("").slice(57)), text],
  ["stream: accumulate", () => streamOf(...chunks), (tm) => ChatStream.accumulate(tm.chat.completions.stream(chat))],
  ["stream: an error event", () => streamOf(chunks[0], data({ error: { message: "boom", code: 500 } })), collect],
  ["stream: cut before [DONE]", () => streamOf(chunks[0], chunks[1]), collect],
  ["stream: not JSON", () => streamOf("data: {oops\n\n"), collect],
  [
    "stream: 429 before the first event, retried",
    () => (_, n) => n === 1 ? json({}, { status: 429, headers: { "retry-after-ms": "700" } }) : sse(chunks),
    text
  ],
  ["stream: idle timeout", () => (request) => sseThenStall([chunks[0], chunks[1]], request.signal), collect, {
    idleTimeout: "3 seconds"
  }],
  [
    "streaming response lines",
    () => streamOf(...chunks),
    (tm) =>
      Effect.scoped(
        Effect.flatMap(tm.chat.completions.withStreamingResponse.create(chat), (r) =>
          Effect.map(Stream.runCollect(r.lines), (lines) => ({ status: r.status, lines: Chunk.toArray(lines) })))
      )
  ]
]

describe("a given transport: the same outcomes as one built from an HttpClient", () => {
  for (const [name, handler, call, options] of scenarios) {
    it.effect(name, () => Effect.map(outcomes(handler, call, options), assertSame))
  }

  it.live("live clock: both time out on the pipeline's timers", () =>
    Effect.gen(function*() {
      const direct = directMock((request) => sseThenStall([chunks[0]], request.signal))
      const stall = directMock(() => undefined)
      const layer = (d: typeof direct, options: Record<string, unknown>) => overSeam(d, { maxRetries: 0, ...options })
      const timeout = yield* Effect.flip(
        Effect.flatMap(Serverless, create).pipe(Effect.provide(layer(stall, { timeout: "60 millis" })))
      )
      assert.strictEqual(timeout.reason, "Timeout")
      const idle = yield* Effect.flip(
        Effect.flatMap(Serverless, collect).pipe(Effect.provide(layer(direct, { idleTimeout: "60 millis" })))
      )
      assert.strictEqual(idle.reason, "IdleTimeout")
      // the stalled exchanges were aborted
      assert.isTrue(stall.seen[0].signal.aborted)
      assert.isTrue(direct.seen[0].signal.aborted)
    }))

  it.live("interrupting a call or ending a stream early aborts the exchange", () =>
    Effect.gen(function*() {
      const stall = directMock(() => undefined)
      const layer = overSeam(stall, {})
      const fiber = yield* Effect.fork(Effect.flatMap(Serverless, create).pipe(Effect.provide(layer)))
      yield* Effect.sleep("20 millis")
      yield* Fiber.interrupt(fiber)
      assert.isTrue(stall.seen[0].signal.aborted)
      const endless = directMock((request) => sseThenStall([chunks[0], chunks[1], chunks[2]], request.signal))
      const first = yield* Effect.flatMap(Serverless, (tm) =>
        tm.chat.completions.stream(chat).pipe(ChatStream.textDeltas, Stream.take(1), Stream.runCollect)).pipe(
          Effect.provide(overSeam(endless, {}))
        )
      assert.deepStrictEqual(Chunk.toArray(first), ["Hel"])
      assert.isTrue(endless.seen[0].signal.aborted)
    }))

  it.effect("a given transport rejects transformClient; trace propagation goes over it with its headers", () =>
    Effect.gen(function*() {
      const seam = directMock(() => json(F.chatCompletion("Paris.")))
      const rejected = yield* Effect.flip(
        Effect.flatMap(Serverless, create).pipe(
          Effect.provide(overSeam(seam, { transformClient: (c: HttpClient.HttpClient) => c }))
        )
      )
      assert.strictEqual(rejected.reason, "InvalidConfig")
      assert.strictEqual(seam.seen.length, 0)
      yield* Effect.flatMap(Serverless, create).pipe(Effect.provide(overSeam(seam, { propagateTraceContext: true })))
      assert.strictEqual(seam.seen.length, 1)
      assert.match(seam.seen[0].headers["traceparent"], /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
      const plain = directMock(() => json(F.chatCompletion("Paris.")))
      yield* Effect.flatMap(Serverless, create).pipe(Effect.provide(overSeam(plain, {})))
      assert.isUndefined(plain.seen[0].headers["traceparent"])
      assert.isUndefined(plain.seen[0].headers["b3"])
    }))
})
