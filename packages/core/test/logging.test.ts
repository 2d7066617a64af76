// Request logs: `logLevel` / `TENSORMESH_LOG` decide what the SDK logs through Effect's Logger; the key and the user
// id never appear, not even inside bodies a server echoes.
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, HashMap, Layer, List, Logger, Redacted, Stream, TestClock } from "effect"
import { OnDemand, OnDemandLayer } from "../src/index.js"
import { chatCompletion, chunk, KEY, USER_ID } from "./support/fixtures.js"
import { data, type Handler, json, mockTransport, sse } from "./support/mock.js"

interface Line {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
}

const capture = () => {
  const lines: Array<Line> = []
  const logger = Logger.make(({ annotations, logLevel, message }) => {
    lines.push({
      level: logLevel.label,
      message: List.isList(message) ? String(List.toArray(message)) : String(message),
      annotations: Object.fromEntries(HashMap.toEntries(annotations))
    })
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

const chatRequest = { model: "m", messages: [{ role: "user" as const, content: "the prompt" }] }

const run = <A>(
  handler: Handler,
  call: (tm: OnDemand["Type"]) => Effect.Effect<A, any>,
  options: {
    readonly logLevel?: "debug" | "info" | "warn" | "off"
    readonly env?: string
    readonly maxRetries?: number
  }
) =>
  Effect.gen(function*() {
    const { layer: loggers, lines } = capture()
    const mock = mockTransport(handler)
    const layer = OnDemandLayer({
      baseUrl: "https://x.test/v1",
      userId: USER_ID,
      apiKey: Redacted.make(KEY),
      maxRetries: options.maxRetries ?? 0,
      ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel })
    }).pipe(
      Layer.provide(mock.layer),
      Layer.provide(
        Layer.setConfigProvider(
          ConfigProvider.fromMap(new Map(options.env === undefined ? [] : [["TENSORMESH_LOG", options.env]]))
        )
      )
    )
    const fiber = yield* Effect.flatMap(OnDemand, call).pipe(
      Effect.either,
      Effect.provide(layer),
      Effect.provide(loggers),
      Effect.fork
    )
    yield* TestClock.adjust("1 minute")
    const result = yield* Fiber.join(fiber)
    return { result, lines, mock }
  })

const assertClean = (lines: ReadonlyArray<Line>) => {
  const text = JSON.stringify(lines)
  assert.notInclude(text, KEY)
  assert.notInclude(text, USER_ID)
}

describe("request logs", () => {
  it.effect("off by default: nothing logged", () =>
    Effect.gen(function*() {
      const { lines } = yield* run(() => json(chatCompletion("x")), (tm) => tm.chat.completions.create(chatRequest), {})
      assert.lengthOf(lines, 0)
    }))

  it.effect("info: one line per attempt with method, URL, status, ms, attempt and request id; no bodies", () =>
    Effect.gen(function*() {
      const { lines } = yield* run(
        () => json(chatCompletion("x"), { headers: { "x-request-id": "req-42" } }),
        (tm) => tm.chat.completions.create(chatRequest),
        { logLevel: "info" }
      )
      assert.lengthOf(lines, 1)
      const [line] = lines
      assert.strictEqual(line.level, "INFO")
      assert.strictEqual(line.message, "tensormesh request")
      assert.strictEqual(line.annotations.method, "POST")
      assert.strictEqual(line.annotations.url, "https://x.test/v1/chat/completions")
      assert.strictEqual(line.annotations.status, 200)
      assert.strictEqual(line.annotations.attempt, 1)
      assert.strictEqual(line.annotations.requestId, "req-42")
      assert.isNumber(line.annotations.ms)
      assert.isUndefined(line.annotations.requestBody)
      assertClean(lines)
    }))

  it.effect("warn (from TENSORMESH_LOG): failed attempts and retries only, each numbered", () =>
    Effect.gen(function*() {
      const { lines, mock } = yield* run(
        (_, attempt) => attempt < 3 ? json({ error: { message: "busy" } }, { status: 429 }) : json(chatCompletion("x")),
        (tm) => tm.chat.completions.create(chatRequest),
        { env: "WARN", maxRetries: 3 }
      )
      assert.strictEqual(mock.seen.length, 3)
      assert.deepStrictEqual(lines.map((l) => [l.level, l.annotations.attempt, l.annotations.status]), [
        ["WARN", 1, 429],
        ["WARN", 2, 429]
      ])
      assert.strictEqual(lines[0].annotations.reason, "RateLimited")
    }))

  it.effect("the option wins over TENSORMESH_LOG; an invalid TENSORMESH_LOG fails without echoing it", () =>
    Effect.gen(function*() {
      const quiet = yield* run(() => json(chatCompletion("x")), (tm) => tm.chat.completions.create(chatRequest), {
        logLevel: "off",
        env: "debug"
      })
      assert.lengthOf(quiet.lines, 0)
      const bad = yield* run(() => json(chatCompletion("x")), (tm) => tm.chat.completions.create(chatRequest), {
        env: "verbose-xyz"
      }).pipe(Effect.exit)
      assert.strictEqual(bad._tag, "Failure")
      assert.include(String(bad), "TENSORMESH_LOG")
      assert.notInclude(String(bad), "verbose-xyz")
    }))

  it.effect("debug: bodies and headers, with the key and user id redacted, also where the server echoes them", () =>
    Effect.gen(function*() {
      const echo = `key ${KEY} user ${USER_ID} Bearer ${KEY}`
      const { lines } = yield* run(
        (_, attempt) =>
          attempt === 1
            ? json({ error: { message: echo } }, { status: 503 })
            : json({ ...chatCompletion(echo), echo }),
        (tm) => tm.chat.completions.create({ ...chatRequest, user: `${KEY}` }),
        { logLevel: "debug", maxRetries: 1 }
      )
      assert.lengthOf(lines, 2)
      const [failed, ok] = lines
      assert.strictEqual(failed.level, "WARN")
      assert.strictEqual(failed.annotations.status, 503)
      assert.include(String(failed.annotations.message), "[redacted]")
      assert.strictEqual(ok.annotations.attempt, 2)
      const headers = ok.annotations.requestHeaders as Record<string, string>
      assert.strictEqual(headers["authorization"], "[redacted]")
      assert.strictEqual(headers["x-user-id"], "[redacted]")
      assert.include(String(ok.annotations.requestBody), "the prompt")
      assert.include(String(ok.annotations.responseBody), "chatcmpl-7f3a")
      assertClean(lines)
    }))

  it.effect("streams: the opening attempt is logged", () =>
    Effect.gen(function*() {
      const { lines } = yield* run(
        () => sse([data(chunk({ content: "x" }, "stop")), "data: [DONE]\n\n"], { headers: { "x-request-id": "s-1" } }),
        (tm) => Stream.runDrain(tm.chat.completions.stream(chatRequest)),
        { logLevel: "info" }
      )
      assert.lengthOf(lines, 1)
      assert.strictEqual(lines[0].annotations.status, 200)
      assert.strictEqual(lines[0].annotations.requestId, "s-1")
      assertClean(lines)
    }))
})
