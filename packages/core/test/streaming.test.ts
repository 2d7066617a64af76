import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Redacted, Stream, TestClock } from "effect"
import {
  ChatStream,
  type ClientOptions,
  CompletionStream,
  OnDemand,
  OnDemandLayer,
  ResponseStream,
  Serverless,
  ServerlessLayer
} from "../src/index.js"
import type { InferenceClient } from "../src/InferenceClient.js"
import * as F from "./support/fixtures.js"
import { data, type Handler, json, mockTransport, sse, sseThenStall } from "./support/mock.js"

const key = Redacted.make(F.KEY)

const setup = (handler: Handler, options: ClientOptions = {}) => {
  const mock = mockTransport(handler)
  const layer = ServerlessLayer({ apiKey: key, ...options }).pipe(Layer.provide(mock.layer))
  const use = <A, E>(f: (tm: InferenceClient) => Effect.Effect<A, E>) =>
    Effect.flatMap(Serverless, f).pipe(Effect.provide(layer))
  return { mock, use }
}

const request = { model: "m", messages: [{ role: "user" as const, content: "Say hello." }] }
const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

const helloStream = [
  data(F.chunk({ role: "assistant", content: "" })),
  data(F.chunk({ content: "Hello" })),
  data(F.chunk({ content: "!" }, "stop")),
  data(F.usageChunk),
  "data: [DONE]\n\n"
]

describe("chat.completions.stream", () => {
  it.effect("decodes every chunk, sends stream:true with include_usage and Accept: text/event-stream", () =>
    Effect.gen(function*() {
      const { mock, use } = setup(() => sse(helloStream))
      const chunks = yield* use((tm) => collect(tm.chat.completions.stream(request)))
      assert.strictEqual(chunks.length, 4)
      assert.strictEqual(chunks[1].choices[0].delta.content, "Hello")
      assert.deepStrictEqual(chunks[3].choices, [])
      assert.strictEqual(chunks[3].usage?.total_tokens, 11)
      assert.deepStrictEqual(mock.seen[0].json, { ...request, stream: true, stream_options: { include_usage: true } })
      assert.strictEqual(mock.seen[0].headers["accept"], "text/event-stream")
    }))

  it.effect("include_usage can be turned off", () =>
    Effect.gen(function*() {
      const { mock, use } = setup(() => sse(helloStream))
      yield* use((tm) =>
        Stream.runDrain(tm.chat.completions.stream({ ...request, stream_options: { include_usage: false } }))
      )
      assert.deepStrictEqual(mock.seen[0].json.stream_options, { include_usage: false })
    }))

  it.effect("textDeltas suppresses a leaked <think> block split across chunks; reasoningDeltas has it", () =>
    Effect.gen(function*() {
      const pieces = ["<thi", "nk>Let me", " think.</th", "ink>\n\nHel", "lo", "!"]
      const body = () =>
        sse([
          data(F.chunk({ role: "assistant", content: "" })),
          ...pieces.map((p) => data(F.chunk({ content: p }))),
          data(F.chunk({}, "stop")),
          "data: [DONE]\n\n"
        ])
      const { use } = setup(body)
      const text = yield* use((tm) => tm.chat.completions.stream(request).pipe(ChatStream.textDeltas, Stream.mkString))
      const reasoning = yield* use((tm) =>
        tm.chat.completions.stream(request).pipe(ChatStream.reasoningDeltas, Stream.mkString)
      )
      assert.strictEqual(text, "Hello!")
      assert.strictEqual(reasoning, "Let me think.")
    }))

  it.effect("an unclosed <think> at the end is reasoning, not content", () =>
    Effect.gen(function*() {
      const { use } = setup(() =>
        sse([
          data(F.chunk({ content: "Hi <think>never" })),
          data(F.chunk({ content: " closed" }, "length")),
          "data: [DONE]\n\n"
        ])
      )
      const text = yield* use((tm) => tm.chat.completions.stream(request).pipe(ChatStream.textDeltas, Stream.mkString))
      const final = yield* use((tm) => ChatStream.accumulate(tm.chat.completions.stream(request)))
      assert.strictEqual(text, "Hi ")
      assert.strictEqual(final.choices[0].message.reasoning, "never closed")
      assert.strictEqual(final.choices[0].finish_reason, "length")
    }))

  it.effect("reasoning deltas (reasoning and reasoning_content) accumulate apart from content", () =>
    Effect.gen(function*() {
      const { use } = setup(() =>
        sse([
          data(F.chunk({ role: "assistant", content: "" })),
          data(F.chunk({ reasoning: "Think" })),
          data(F.chunk({ reasoning_content: "ing." })),
          data(F.chunk({ content: "Done." }, "stop")),
          data(F.usageChunk),
          "data: [DONE]\n\n"
        ])
      )
      const final = yield* use((tm) => ChatStream.accumulate(tm.chat.completions.stream(request)))
      assert.strictEqual(final.choices[0].message.content, "Done.")
      assert.strictEqual(final.choices[0].message.reasoning, "Thinking.")
      assert.strictEqual(final.usage?.prompt_tokens, 9)
      const reasoning = yield* use((tm) =>
        tm.chat.completions.stream(request).pipe(ChatStream.reasoningDeltas, Stream.runCollect)
      )
      assert.deepStrictEqual(Chunk.toReadonlyArray(reasoning), ["Think", "ing."])
    }))

  const toolStream = (withIndex: boolean) =>
    sse([
      data(F.chunk({ role: "assistant", content: "" })),
      data(F.chunk({
        tool_calls: [{
          ...(withIndex ? { index: 0 } : {}),
          id: "chatcmpl-tool-a1b2",
          type: "function",
          function: { name: "get_weather", arguments: "" }
        }]
      })),
      data(
        F.chunk({ tool_calls: [{ ...(withIndex ? { index: 0 } : {}), function: { arguments: "{\"city\": \"Ba" } }] })
      ),
      data(F.chunk({ tool_calls: [{ ...(withIndex ? { index: 0 } : {}), function: { arguments: "ngkok\"}" } }] })),
      data(F.chunk({}, "tool_calls")),
      "data: [DONE]\n\n"
    ])

  for (const withIndex of [true, false]) {
    it.effect(`tool-call deltas ${withIndex ? "with" : "without"} index merge into one call`, () =>
      Effect.gen(function*() {
        const { use } = setup(() => toolStream(withIndex))
        const final = yield* use((tm) => ChatStream.accumulate(tm.chat.completions.stream(request)))
        const message = final.choices[0].message
        assert.strictEqual(final.choices[0].finish_reason, "tool_calls")
        assert.strictEqual(message.content, null)
        assert.deepStrictEqual(message.tool_calls, [{
          id: "chatcmpl-tool-a1b2",
          type: "function",
          function: { name: "get_weather", arguments: "{\"city\": \"Bangkok\"}" }
        }])
      }))
  }

  it.effect("accumulate of a stream equals the non-streaming result for the same content", () =>
    Effect.gen(function*() {
      const { use } = setup((req) =>
        req.json.stream
          ? sse([
            data(F.chunk({ role: "assistant", content: "" })),
            data(F.chunk({ content: "<think>plan</think>" })),
            data(F.chunk({ content: "Paris." }, "stop")),
            data(F.usageChunk),
            "data: [DONE]\n\n"
          ])
          : json({
            ...F.chunk({}),
            object: "chat.completion",
            choices: [{
              index: 0,
              message: { role: "assistant", content: "<think>plan</think>Paris.", reasoning: null, tool_calls: [] },
              finish_reason: "stop",
              stop_reason: null
            }],
            usage: F.usageChunk.usage
          })
      )
      const streamed = yield* use((tm) => ChatStream.accumulate(tm.chat.completions.stream(request)))
      const created = yield* use((tm) => tm.chat.completions.create(request))
      assert.deepStrictEqual(streamed.choices[0].message.content, created.choices[0].message.content)
      assert.deepStrictEqual(streamed.choices[0].message.reasoning, created.choices[0].message.reasoning)
      assert.deepStrictEqual(streamed.choices[0].message.tool_calls, created.choices[0].message.tool_calls)
      assert.strictEqual(streamed.choices[0].finish_reason, created.choices[0].finish_reason)
      assert.deepStrictEqual(streamed.usage, created.usage)
      assert.strictEqual(streamed.id, created.id)
      assert.strictEqual(streamed.choices[0].message.content, "Paris.")
    }))

  it.effect("n > 1 choices are kept apart", () =>
    Effect.gen(function*() {
      const { use } = setup(() =>
        sse([
          data(F.chunk({ content: "A" }, null, 0)),
          data(F.chunk({ content: "B" }, null, 1)),
          data(F.chunk({ content: "a" }, "stop", 0)),
          data(F.chunk({ content: "b" }, "stop", 1)),
          "data: [DONE]\n\n"
        ])
      )
      const final = yield* use((tm) => ChatStream.accumulate(tm.chat.completions.stream({ ...request, n: 2 })))
      assert.deepStrictEqual(final.choices.map((c) => c.message.content), ["Aa", "Bb"])
    }))

  it.effect("an error event mid-stream fails with StreamError after the chunks before it", () =>
    Effect.gen(function*() {
      const { use } = setup(() =>
        sse([
          data(F.chunk({ content: "Hel" })),
          data({ error: { message: "Internal server error", type: "InternalServerError", param: null, code: 500 } }),
          "data: [DONE]\n\n"
        ])
      )
      const seen: Array<string> = []
      const error = yield* use((tm) =>
        Effect.flip(Stream.runForEach(
          tm.chat.completions.stream(request).pipe(ChatStream.textDeltas),
          (text) => Effect.sync(() => seen.push(text))
        ))
      )
      assert.deepStrictEqual(seen, ["Hel"])
      assert.strictEqual(error._tag, "UpstreamError")
      assert.strictEqual(error.reason, "StreamError")
      assert.strictEqual(error.detail, "Internal server error")
      assert.isTrue(error.retryable)
    }))

  it.effect("`event: error` mid-stream also fails with StreamError", () =>
    Effect.gen(function*() {
      const { use } = setup(() =>
        sse([data(F.chunk({ content: "x" })), "event: error\ndata: {\"message\":\"overloaded\",\"code\":503}\n\n"])
      )
      const error = yield* use((tm) => Effect.flip(Stream.runDrain(tm.chat.completions.stream(request))))
      assert.strictEqual(error.reason, "StreamError")
      assert.strictEqual(error.detail, "overloaded")
    }))

  it.effect("a stream that ends without [DONE] fails with StreamTruncated", () =>
    Effect.gen(function*() {
      const { use } = setup(() => sse([data(F.chunk({ content: "partial" }))]))
      const got: Array<unknown> = []
      const error = yield* use((tm) =>
        Effect.flip(Stream.runForEach(tm.chat.completions.stream(request), (c) => Effect.sync(() => got.push(c))))
      )
      assert.strictEqual(got.length, 1)
      assert.strictEqual(error.reason, "StreamTruncated")
    }))

  it.effect("a chunk that is not JSON is InvalidResponse naming the data", () =>
    Effect.gen(function*() {
      const { use } = setup(() => sse(["data: {oops\n\n", "data: [DONE]\n\n"]))
      const error = yield* use((tm) => Effect.flip(Stream.runDrain(tm.chat.completions.stream(request))))
      assert.strictEqual(error.reason, "InvalidResponse")
      assert.include(error.detail, "{oops")
    }))

  it.effect("keep-alive comments, unknown fields and CRLF framing are tolerated; a final event without blank line counts", () =>
    Effect.gen(function*() {
      const { use } = setup(() =>
        sse([
          ": ping\r\n\r\n",
          `id: 1\r\nretry: 10000\r\n${data(F.chunk({ content: "A" })).replace("\n\n", "\r\n\r\n")}`,
          data(F.chunk({ content: "B" }, "stop")),
          "data: [DONE]"
        ])
      )
      const text = yield* use((tm) => tm.chat.completions.stream(request).pipe(ChatStream.textDeltas, Stream.mkString))
      assert.strictEqual(text, "AB")
    }))

  it.effect("an idle stream fails with IdleTimeout (TestClock) and aborts the request", () =>
    Effect.gen(function*() {
      const { mock, use } = setup((req) => sseThenStall([data(F.chunk({ content: "A" }))], req.signal), {
        idleTimeout: "10 seconds"
      })
      const fiber = yield* Effect.fork(use((tm) => Effect.flip(Stream.runDrain(tm.chat.completions.stream(request)))))
      yield* TestClock.adjust("9 seconds")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "IdleTimeout")
      assert.isTrue(error.retryable)
      assert.isTrue(mock.seen[0].signal.aborted)
    }))

  it.effect("idleTimeout per call overrides the layer's", () =>
    Effect.gen(function*() {
      const { use } = setup((req) => sseThenStall([], req.signal), { idleTimeout: "1 hour" })
      const fiber = yield* Effect.fork(
        use((tm) => Effect.flip(Stream.runDrain(tm.chat.completions.stream(request, { idleTimeout: "1 second" }))))
      )
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "IdleTimeout")
    }))

  it.effect("taking the first chunks interrupts the stream and aborts the request", () =>
    Effect.gen(function*() {
      const { mock, use } = setup((req) =>
        sseThenStall([data(F.chunk({ content: "A" })), data(F.chunk({ content: "B" }))], req.signal)
      )
      const chunks = yield* use((tm) => collect(tm.chat.completions.stream(request).pipe(Stream.take(2))))
      assert.strictEqual(chunks.length, 2)
      assert.isTrue(mock.seen[0].signal.aborted)
    }))

  it.effect("a 429 before the first event is retried; errors before the stream are typed", () =>
    Effect.gen(function*() {
      const { mock, use } = setup((_, n) =>
        n === 1 ? new Response("", { status: 429, headers: { "retry-after": "1" } }) : sse(helloStream)
      )
      const fiber = yield* Effect.fork(use((tm) => collect(tm.chat.completions.stream(request))))
      yield* TestClock.adjust("1 second")
      const chunks = yield* Fiber.join(fiber)
      assert.strictEqual(chunks.length, 4)
      assert.strictEqual(mock.seen.length, 2)
      const unauthorized = setup(() => json({ error: "Unauthorized" }, { status: 401 }))
      const error = yield* unauthorized.use((tm) => Effect.flip(Stream.runDrain(tm.chat.completions.stream(request))))
      assert.strictEqual(error._tag, "AuthError")
    }))

  it.effect("without a key the stream fails with AuthError and sends nothing", () =>
    Effect.gen(function*() {
      const mock = mockTransport(() => sse(helloStream))
      const error = yield* Effect.flatMap(Serverless, (tm) =>
        Effect.flip(Stream.runDrain(tm.chat.completions.stream(request))))
        .pipe(Effect.provide(ServerlessLayer().pipe(Layer.provide(mock.layer))))
      assert.strictEqual(error.reason, "MissingApiKey")
      assert.strictEqual(mock.seen.length, 0)
    }))
})

describe("completions.stream", () => {
  it.effect("chunks, textDeltas and accumulate", () =>
    Effect.gen(function*() {
      const chunk = (text: string, finish: string | null) => ({
        ...F.textCompletion(text),
        choices: [{ ...F.textCompletion(text).choices[0], finish_reason: finish }],
        usage: null
      })
      const { mock, use } = setup(() =>
        sse([
          data(chunk(" o", null)),
          data(chunk("k", "stop")),
          data({ ...F.textCompletion(""), choices: [] }),
          "data: [DONE]\n\n"
        ])
      )
      const text = yield* use((tm) =>
        tm.completions.stream({ model: "m", prompt: "Reply", max_tokens: 4 }).pipe(
          CompletionStream.textDeltas,
          Stream.mkString
        )
      )
      const final = yield* use((tm) =>
        CompletionStream.accumulate(tm.completions.stream({ model: "m", prompt: "Reply" }))
      )
      assert.strictEqual(text, " ok")
      assert.strictEqual(final.choices[0].text, " ok")
      assert.strictEqual(final.choices[0].finish_reason, "stop")
      assert.strictEqual(final.usage?.total_tokens, 5)
      assert.strictEqual(mock.seen[0].json.stream, true)
    }))
})

describe("responses.stream", () => {
  const ev = (type: string, payload: Record<string, unknown>, seq: number) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq, ...payload })}\n\n`
  const finalResponse = F.response("ok", { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 })
  const events = [
    ev("response.created", { response: { ...finalResponse, status: "in_progress", output: [], usage: null } }, 0),
    ev("response.in_progress", { response: { ...finalResponse, status: "in_progress", output: [], usage: null } }, 1),
    ev("response.output_item.added", {
      output_index: 0,
      item: { type: "message", id: "5e1d", role: "assistant", status: "in_progress", content: [] }
    }, 2),
    ev("response.content_part.added", {
      item_id: "5e1d",
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [] }
    }, 3),
    "event: keepalive\ndata: {\"type\":\"keepalive\"}\n\n",
    ev(
      "response.output_text.delta",
      { item_id: "5e1d", output_index: 0, content_index: 0, delta: "o", logprobs: [] },
      4
    ),
    ev(
      "response.output_text.delta",
      { item_id: "5e1d", output_index: 0, content_index: 0, delta: "k", logprobs: [] },
      5
    ),
    ev("response.output_text.done", { item_id: "5e1d", output_index: 0, content_index: 0, text: "ok" }, 6),
    ev("response.completed", { response: finalResponse }, 7)
  ]

  it.effect("typed events up to the terminal event, unknown events passed through, stream:true forced", () =>
    Effect.gen(function*() {
      const { mock, use } = setup(() => sse([...events, ev("response.after", {}, 9)]))
      const got = yield* use((tm) => collect(tm.responses.stream({ model: "m", input: "Say ok" })))
      assert.deepStrictEqual(got.map((e) => e.type), [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "unknown",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.completed"
      ])
      const unknown = got[4]
      assert.strictEqual(unknown.type === "unknown" && unknown.event, "keepalive")
      assert.strictEqual(mock.seen[0].json.stream, true)
      assert.strictEqual(mock.seen[0].json.stream_options, undefined)
    }))

  it.effect("textDeltas and accumulate give the text and the final response", () =>
    Effect.gen(function*() {
      const { use } = setup(() => sse(events))
      const text = yield* use((tm) =>
        tm.responses.stream({ model: "m", input: "x" }).pipe(ResponseStream.textDeltas, Stream.mkString)
      )
      const final = yield* use((tm) => ResponseStream.accumulate(tm.responses.stream({ model: "m", input: "x" })))
      assert.strictEqual(text, "ok")
      assert.strictEqual(final.id, "resp_4c2")
      assert.strictEqual(final.output_text, "ok")
      assert.strictEqual(final.usage?.input_tokens, 5)
    }))

  it.effect("EOF before a terminal event is StreamTruncated; an error event is StreamError", () =>
    Effect.gen(function*() {
      const truncated = setup(() => sse(events.slice(0, 6)))
      const error = yield* truncated.use((tm) =>
        Effect.flip(Stream.runDrain(tm.responses.stream({ model: "m", input: "x" })))
      )
      assert.strictEqual(error.reason, "StreamTruncated")
      const failing = setup(() =>
        sse([events[0], "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"boom\"}\n\n"])
      )
      const error2 = yield* failing.use((tm) =>
        Effect.flip(Stream.runDrain(tm.responses.stream({ model: "m", input: "x" })))
      )
      assert.strictEqual(error2.reason, "StreamError")
      assert.strictEqual(error2.detail, "boom")
    }))
})

describe("withStreamingResponse", () => {
  it.effect("gives status, headers and the raw SSE lines; on-demand sends X-User-Id", () =>
    Effect.gen(function*() {
      const mock = mockTransport(() => sse(helloStream, { headers: { "x-request-id": "rq" } }))
      const layer = OnDemandLayer({ baseUrl: "https://x.test/v1", userId: F.USER_ID, apiKey: key }).pipe(
        Layer.provide(mock.layer)
      )
      const lines = yield* Effect.flatMap(OnDemand, (tm) =>
        Effect.scoped(Effect.gen(function*() {
          const raw = yield* tm.completions.withStreamingResponse.create({ model: "m", prompt: "x" })
          assert.strictEqual(raw.status, 200)
          assert.strictEqual(raw.requestId, "rq")
          return yield* collect(raw.lines)
        }))).pipe(Effect.provide(layer))
      assert.strictEqual(lines[0], data(F.chunk({ role: "assistant", content: "" })).trimEnd())
      assert.strictEqual(lines[1], "")
      assert.strictEqual(lines[lines.length - 2], "data: [DONE]")
      assert.strictEqual(mock.seen[0].headers["x-user-id"], F.USER_ID)
      assert.strictEqual(mock.seen[0].json.stream, true)
    }))

  it.effect("closing the scope aborts the request even if the lines were never read", () =>
    Effect.gen(function*() {
      const { mock, use } = setup((req) => sseThenStall([data(F.chunk({ content: "A" }))], req.signal))
      yield* use((tm) => Effect.scoped(tm.chat.completions.withStreamingResponse.create(request)))
      assert.isTrue(mock.seen[0].signal.aborted)
    }))
})
