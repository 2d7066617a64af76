// Hostile error bodies: linear time on any text, bounded messages and bodies, deep JSON that still serialises and
// logs, retry hints clamped to what the retry policy can use, and secrets the server echoes scrubbed.
import * as Headers from "@effect/platform/Headers"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, FastCheck as fc, Layer, Logger, Redacted, Stream } from "effect"
import * as util from "node:util"
import { ChatStream, type ClientOptions, Serverless, ServerlessLayer, type TensormeshError } from "../src/index.js"
import type { InferenceClient } from "../src/InferenceClient.js"
import {
  boundJson,
  fromStatus,
  MAX_BODY_DEPTH,
  MAX_DETAIL,
  MAX_RETRY_AFTER_HINT,
  parseErrorBody,
  retryAfterMillis,
  scrubSecrets,
  stripMarkup
} from "../src/internal/errors.js"
import { streamError } from "../src/internal/events.js"
import * as F from "./support/fixtures.js"
import { data, type Handler, mockTransport, sse } from "./support/mock.js"

const key = Redacted.make(F.KEY)

const run = <A>(
  handler: Handler,
  f: (tm: InferenceClient) => Effect.Effect<A, TensormeshError>,
  options: ClientOptions = { apiKey: key, maxRetries: 0 }
) => {
  const mock = mockTransport(handler)
  return Effect.map(
    Effect.flip(
      Effect.flatMap(Serverless, f).pipe(Effect.provide(ServerlessLayer(options).pipe(Layer.provide(mock.layer))))
    ),
    (error) => ({ error, attempts: mock.seen.length })
  )
}

const chat = (tm: InferenceClient) =>
  tm.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] })

const stream = (tm: InferenceClient) =>
  tm.chat.completions.stream({ model: "m", messages: [{ role: "user", content: "hi" }] }).pipe(
    ChatStream.textDeltas,
    Stream.runDrain
  )

const timed = <A>(f: () => A): { readonly value: A; readonly millis: number } => {
  const start = performance.now()
  const value = f()
  return { value, millis: performance.now() - start }
}

/** Every way an error is rendered: none may throw, and each is bounded. */
const renderings = (error: unknown): ReadonlyArray<string> => [
  String(error),
  (error as Error).message,
  JSON.stringify(error),
  util.inspect(error, { depth: Infinity }),
  JSON.stringify((error as { toJSON: () => unknown }).toJSON())
]

const depthOf = (value: unknown): number => {
  let max = 0
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [v, d] = stack.pop()!
    max = Math.max(max, d)
    if (typeof v === "object" && v !== null) { for (const child of Object.values(v)) stack.push([child, d + 1]) }
  }
  return max
}

describe("markup stripping", () => {
  it("does what the old regex did, in one linear scan", () => {
    const regex = (text: string) => text.replace(/<[^>]*>/g, " ")
    for (const text of ["<html><body><h1>502 Bad Gateway</h1></body></html>", "a < b", "<<<>", "x<y>z<", "", "<>"]) {
      assert.strictEqual(stripMarkup(text), regex(text), text)
    }
    fc.assert(fc.property(fc.stringMatching(/^[<>a ]{0,40}$/), (text) => stripMarkup(text) === regex(text)))
  })

  it("costs linear time on text full of `<` (1× and 4×)", () => {
    const small = timed(() => parseErrorBody("<".repeat(100_000)))
    const large = timed(() => parseErrorBody("<".repeat(400_000)))
    // the old regex took 13 s for the small one; linear work is well under a second for both
    assert.isBelow(large.millis, 1000)
    assert.isBelow(large.millis, 20 * small.millis + 50, "no quadratic growth")
    assert.isAtMost(String(large.value.body).length, 16_384 + 64)
  })
})

describe("bounded error bodies", () => {
  it.effect("a 10 MB error message becomes a short message, its truncation noted", () =>
    Effect.gen(function*() {
      const message = "x".repeat(10_000_000)
      const { error } = yield* run(
        () => new Response(JSON.stringify({ error: { message, type: "BadRequestError", code: 400 } }), { status: 400 }),
        chat
      )
      assert.strictEqual(error._tag, "ValidationError")
      assert.isAtMost(error.message.length, MAX_DETAIL + 100)
      assert.include(error.message, "(truncated, 10000000 characters)")
      for (const text of renderings(error)) assert.isBelow(text.length, 64 * 1024)
    }))

  it.effect("a 10 MB non-JSON body keeps 16 KiB of text as body", () =>
    Effect.gen(function*() {
      const { error } = yield* run(() => new Response("<p>".repeat(3_000_000), { status: 502 }), chat)
      assert.strictEqual(error._tag, "UpstreamError")
      assert.isString(error.body)
      assert.isAtMost((error.body as string).length, 16_384 + 64)
      assert.include(error.body as string, "(truncated, 9000000 characters)")
      assert.isAtMost(error.message.length, 400)
    }))

  it("a body within the bounds is kept as sent", () => {
    const body = { error: { message: "m", type: "T", param: null, code: 400, nested: [1, [2, [3]]] } }
    assert.deepStrictEqual(boundJson(body), body)
    const proto = JSON.parse(`{"__proto__": {"polluted": true}, "a": 1}`)
    const copy = boundJson(proto) as Record<string, unknown>
    assert.deepStrictEqual(Object.keys(copy), ["__proto__", "a"])
    assert.strictEqual(({} as Record<string, unknown>).polluted, undefined)
  })

  it("wide bodies are cut with a note", () => {
    const wide = boundJson({ list: Array.from({ length: 100_000 }, (_, i) => i) }) as { list: Array<unknown> }
    assert.isBelow(wide.list.length, 1100)
    assert.match(String(wide.list[wide.list.length - 1]), /more items$/)
    const keys = boundJson(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])))
    assert.match(String((keys as Record<string, unknown>)["…"]), /more keys$/)
  })

  for (
    const [name, text] of [
      ["arrays", "[".repeat(100_000) + "]".repeat(100_000)],
      ["objects", "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000)],
      ["an error object", "{\"error\":{\"message\":\"deep\",\"x\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}}"]
    ] as const
  ) {
    it.effect(`a 100k-deep JSON body (${name}) serialises, inspects and logs`, () =>
      Effect.gen(function*() {
        const { error } = yield* run(() => new Response(text, { status: 500 }), chat)
        assert.strictEqual(error._tag, "UpstreamError")
        assert.isAtMost(depthOf(error.body), MAX_BODY_DEPTH + 1)
        for (const rendered of renderings(error)) assert.isBelow(rendered.length, 64 * 1024)
        const lines: Array<string> = []
        const logger = Logger.map(Logger.jsonLogger, (line) => void lines.push(line))
        yield* Effect.logError("failed", Cause.fail(error)).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, logger))
        )
        assert.strictEqual(lines.length, 1)
        assert.include(lines[0], "UpstreamError")
      }))
  }
})

describe("retry hints", () => {
  const hint = (headers: Record<string, string>) => retryAfterMillis(Headers.fromInput(headers), Date.now())
  it("are clamped to [0, 24 h]; malformed, negative or non-finite ones count as absent", () => {
    assert.strictEqual(hint({ "retry-after-ms": "700" }), 700)
    assert.strictEqual(hint({ "retry-after-ms": "1e308" }), MAX_RETRY_AFTER_HINT)
    assert.strictEqual(hint({ "retry-after-ms": "1e999" }), undefined)
    assert.strictEqual(hint({ "retry-after-ms": "-5" }), undefined)
    assert.strictEqual(hint({ "retry-after-ms": "NaN" }), undefined)
    assert.strictEqual(hint({ "retry-after-ms": "" }), undefined)
    assert.strictEqual(hint({ "retry-after-ms": "-5", "retry-after": "2" }), 2000)
    assert.strictEqual(hint({ "retry-after": "1e300" }), MAX_RETRY_AFTER_HINT)
    assert.strictEqual(hint({ "retry-after": "Infinity" }), undefined)
    assert.strictEqual(hint({ "retry-after": "-1" }), undefined)
    assert.strictEqual(hint({ "retry-after": "Tue, 01 Jan 1980 00:00:00 GMT" }), 0)
    assert.strictEqual(hint({ "retry-after": "Fri, 31 Dec 9999 23:59:59 GMT" }), MAX_RETRY_AFTER_HINT)
    assert.strictEqual(hint({ "retry-after": "soon" }), undefined)
  })

  for (const value of ["1e308", "99999999999999999999", "-1", "NaN", "1e999"]) {
    const absent = !(Number(value) >= 0 && Number.isFinite(Number(value)))
    it.effect(`retry-after-ms: ${value} gives ${absent ? "no" : "a formattable"} retryAfter and no wait`, () =>
      Effect.gen(function*() {
        const { attempts, error } = yield* run(
          () => new Response("Server is overloaded", { status: 429, headers: { "retry-after-ms": value } }),
          chat,
          { apiKey: key, maxRetries: absent ? 0 : 2 }
        )
        assert.strictEqual(error._tag, "UpstreamError")
        if (error._tag !== "UpstreamError") return
        assert.strictEqual(error.reason, "RateLimited")
        assert.strictEqual(error.retryAfter === undefined, absent)
        if (error.retryAfter !== undefined) {
          assert.isAtMost(Duration.toMillis(error.retryAfter), MAX_RETRY_AFTER_HINT)
          assert.isString(Duration.format(error.retryAfter))
          assert.strictEqual(attempts, 1, "a hint past the policy's cap is not waited for")
        }
        for (const rendered of renderings(error)) assert.isString(rendered)
      }))
  }
})

describe("secrets the server echoes", () => {
  const secret = "sk-live-0123456789abcdef"
  const user = "2f0c3c59-7d43-4c0e-9f3a-0d9f4c6b2a11"

  it("scrubSecrets replaces each secret and any bearer credential, in linear time", () => {
    assert.strictEqual(scrubSecrets(`Invalid API key: ${secret}`, [secret]), "Invalid API key: [redacted]")
    assert.strictEqual(scrubSecrets(`Invalid API key: Bearer ${secret}.`, []), "Invalid API key: Bearer [redacted]")
    assert.strictEqual(scrubSecrets(`user ${user} unknown`, [secret, user, ""]), "user [redacted] unknown")
    assert.strictEqual(scrubSecrets("nothing here", [secret]), "nothing here")
    assert.strictEqual(scrubSecrets("a bearer token is required", []), "a bearer token is required")
    assert.strictEqual(scrubSecrets("got bearer abc_def", []), "got bearer [redacted]")
    const hostile = (n: number) =>
      "Bearer ".repeat(n) + secret.repeat(n / 5) + "Bearer " + "a".repeat(n) + " Bearer" + " ".repeat(n) + "x"
    const small = timed(() => scrubSecrets(hostile(50_000), [secret]))
    const large = timed(() => scrubSecrets(hostile(200_000), [secret]))
    assert.notInclude(large.value, secret)
    assert.isBelow(large.millis, 20 * small.millis + 50, "no quadratic growth")
  })

  it("fromStatus and streamError scrub detail and body", () => {
    const echoed = JSON.stringify({
      error: { message: `Invalid API key: ${secret} for ${user}`, type: "UnauthorizedError", code: 401 },
      [`key-${secret}`]: [secret, { deep: `x${secret}x` }]
    })
    const errors = [
      fromStatus(401, Headers.empty, echoed, 0, [secret, user]),
      fromStatus(502, Headers.empty, `<h1>${secret}</h1> ${user}`, 0, [secret, user]),
      fromStatus(400, Headers.empty, `${"y".repeat(20_000)}${secret}`, 0, [secret, user]),
      fromStatus(400, Headers.empty, `${"y".repeat(16_380)}${secret}`, 0, [secret, user]),
      streamError(echoed, JSON.parse(echoed), [secret, user]),
      streamError(`oops ${secret}`, undefined, [secret, user])
    ]
    for (const error of errors) {
      for (const rendered of renderings(error)) {
        assert.notInclude(rendered, secret)
        assert.notInclude(rendered, secret.slice(0, 12), "no prefix left at a cut")
        assert.notInclude(rendered, user)
      }
    }
    assert.include(errors[0].message, "Invalid API key: [redacted] for [redacted]")
  })

  it.effect("through the public API: a key echoed as a bearer credential is not in the error", () =>
    Effect.gen(function*() {
      for (
        const body of [
          `Invalid API key: Bearer ${F.KEY}`,
          JSON.stringify({ error: { message: `Invalid API key: Bearer ${F.KEY}`, code: 401 } }),
          JSON.stringify({ detail: [{ msg: `bad header Bearer ${F.KEY}`, loc: ["header", "authorization"] }] })
        ]
      ) {
        const { error } = yield* run(() => new Response(body, { status: 401 }), chat)
        assert.strictEqual(error._tag, "AuthError")
        for (const rendered of renderings(error)) assert.notInclude(rendered, F.KEY)
        assert.include(error.message, "Bearer [redacted]")
      }
    }))
})

describe("stream error events", () => {
  it.effect("event: error with 100 KB and 400 KB of `<` costs linear time and a short message", () =>
    Effect.gen(function*() {
      const once = (size: number) =>
        Effect.gen(function*() {
          const start = performance.now()
          const { error } = yield* run(
            () => sse([data(F.chunk({ content: "a" })), `event: error\ndata: ${"<".repeat(size)}\n\n`]),
            stream
          )
          return { error, millis: performance.now() - start }
        })
      const small = yield* once(100_000)
      const large = yield* once(400_000)
      assert.strictEqual(large.error._tag, "UpstreamError")
      assert.isAtMost(large.error.message.length, 400)
      assert.isBelow(large.millis, 2000)
      assert.isBelow(large.millis, 20 * small.millis + 100, "no quadratic growth")
    }))
})
