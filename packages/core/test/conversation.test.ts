// Conversations that round-trip: what the API returns (a completion's message, an accumulated stream, Responses
// output items) is sent back as the next request's input, and the bytes on the wire are the documented ones.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted, type Scope, Stream } from "effect"
import type * as Chat from "../src/ChatCompletion.js"
import { ChatStream, Serverless, ServerlessLayer, type TensormeshError, ValidationError } from "../src/index.js"
import type { InferenceClient, StreamingResponse } from "../src/InferenceClient.js"
import type * as Responses from "../src/Responses.js"
import * as F from "./support/fixtures.js"
import { data, type Handler, json, mockTransport, sse } from "./support/mock.js"

const setup = (handler: Handler) => {
  const mock = mockTransport(handler)
  const layer = ServerlessLayer({ apiKey: Redacted.make(F.KEY) }).pipe(Layer.provide(mock.layer))
  const use = <A, E>(f: (tm: InferenceClient) => Effect.Effect<A, E>) =>
    Effect.flatMap(Serverless, f).pipe(Effect.provide(layer))
  return { mock, use }
}

const failure = <A>(exit: Exit.Exit<A, TensormeshError>): TensormeshError => {
  assert.isTrue(Exit.isFailure(exit))
  if (Exit.isFailure(exit) && exit.cause._tag === "Fail") return exit.cause.error
  throw new Error("expected a failure")
}

const weatherTool = {
  type: "function" as const,
  function: { name: "get_weather", description: "Look up the weather.", parameters: { type: "object" } }
}
const toolsJson = `[{"type":"function","function":{"name":"get_weather","description":"Look up the weather.",` +
  `"parameters":{"type":"object"}}}]`

/** A vLLM-style completion whose message calls `get_weather`, with every null and extra key a server sends. */
const toolTurn = (turn: number) => ({
  id: `chatcmpl-${turn}`,
  object: "chat.completion",
  created: 1767225600,
  model: "m",
  choices: [{
    index: 0,
    message: {
      role: "assistant",
      content: null,
      refusal: null,
      annotations: null,
      audio: null,
      function_call: null,
      tool_calls: [{
        id: `call_${turn}`,
        type: "function",
        function: { name: "get_weather", arguments: `{"n":${turn}}` }
      }],
      reasoning: `Turn ${turn}.`,
      reasoning_content: `Turn ${turn}.`,
      provider_specific_fields: { cached: true }
    },
    logprobs: null,
    finish_reason: "tool_calls",
    stop_reason: null,
    token_ids: null
  }],
  service_tier: null,
  system_fingerprint: null,
  usage: { prompt_tokens: 10 * turn, completion_tokens: 5, total_tokens: 10 * turn + 5 },
  prompt_logprobs: null,
  kv_transfer_params: null
})

const assistantJson = (turn: number) =>
  `{"role":"assistant","tool_calls":[{"id":"call_${turn}","type":"function","function":{"name":"get_weather",` +
  `"arguments":"{\\"n\\":${turn}}"}}],"reasoning":"Turn ${turn}."}`
const toolJson = (turn: number) => `{"role":"tool","tool_call_id":"call_${turn}","content":"${turn * 10}C"}`

describe("chat: a returned message is sent back", () => {
  it.effect("three tool turns: each request carries the returned messages, encoded for the wire byte by byte", () =>
    Effect.gen(function*() {
      const { mock, use } = setup((_, attempt) => json(attempt <= 3 ? toolTurn(attempt) : F.chatCompletion("Done.")))
      const messages: Array<Chat.ChatMessageParam> = [{ role: "user", content: "Weather?" }]
      for (let turn = 1; turn <= 3; turn++) {
        const completion = yield* use((tm) =>
          tm.chat.completions.create({ model: "m", messages, tools: [weatherTool] })
        )
        const message = completion.choices[0].message
        assert.strictEqual(message.content, null)
        messages.push(message)
        messages.push({ role: "tool", tool_call_id: message.tool_calls![0].id, content: `${turn * 10}C` })
      }
      const final = yield* use((tm) => tm.chat.completions.create({ model: "m", messages, tools: [weatherTool] }))
      assert.strictEqual(final.choices[0].message.content, "Done.")
      assert.strictEqual(mock.seen.length, 4)
      const user = `{"role":"user","content":"Weather?"}`
      for (let request = 0; request < 4; request++) {
        const history = [user]
        for (let turn = 1; turn <= request; turn++) history.push(assistantJson(turn), toolJson(turn))
        assert.strictEqual(
          mock.seen[request].body,
          `{"model":"m","messages":[${history.join(",")}],"tools":${toolsJson}}`
        )
      }
    }))

  it.effect("refusal, audio, function_call and annotations: what is sent of each", () =>
    Effect.gen(function*() {
      const returned = {
        ...F.chatCompletion(null, {
          refusal: "I can't help with that.",
          annotations: [{ type: "url_citation", url_citation: { url: "https://example.com" } }],
          audio: { id: "audio_1", data: "UklGRg==", expires_at: 1767229200, transcript: "hi" },
          function_call: { name: "legacy", arguments: "{}" },
          name: null
        })
      }
      const { mock, use } = setup((_, attempt) => json(attempt === 1 ? returned : F.chatCompletion("ok")))
      const first = yield* use((tm) =>
        tm.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] })
      )
      yield* use((tm) =>
        tm.chat.completions.create({
          model: "m",
          messages: [{ role: "user", content: "x" }, first.choices[0].message, { role: "user", content: "why?" }]
        })
      )
      assert.strictEqual(
        mock.seen[1].body,
        `{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","function_call":{"name":"legacy",` +
          `"arguments":"{}"},"refusal":"I can't help with that.","audio":{"id":"audio_1"}},` +
          `{"role":"user","content":"why?"}]}`
      )
    }))

  it.effect("an accumulated stream (refusal deltas, logprobs) is sent back as the non-streaming message would be", () =>
    Effect.gen(function*() {
      const lp = (token: string) => ({ token, logprob: -0.5, bytes: null, top_logprobs: [] })
      const { mock, use } = setup((req) =>
        req.json.stream === true
          ? sse([
            data(F.chunk({ role: "assistant", content: "" })),
            data({
              ...F.chunk({ refusal: "I can't" }),
              choices: [{
                ...F.chunk({ refusal: "I can't" }).choices[0],
                logprobs: { content: null, refusal: [lp("I"), lp(" can't")] }
              }]
            }),
            data({
              ...F.chunk({ refusal: " help." }),
              choices: [{
                ...F.chunk({ refusal: " help." }).choices[0],
                logprobs: { content: null, refusal: [lp(" help.")] }
              }]
            }),
            data(F.chunk({}, "stop")),
            data(F.usageChunk),
            "data: [DONE]\n\n"
          ])
          : json(F.chatCompletion("fine"))
      )
      const request = { model: "m", messages: [{ role: "user" as const, content: "x" }] }
      const final = yield* use((tm) => ChatStream.accumulate(tm.chat.completions.stream({ ...request, stream: true })))
      const message = final.choices[0].message
      assert.strictEqual(message.content, null)
      assert.strictEqual(message.refusal, "I can't help.")
      assert.deepStrictEqual(final.choices[0].logprobs, {
        content: null,
        refusal: [lp("I"), lp(" can't"), lp(" help.")]
      })
      yield* use((tm) => tm.chat.completions.create({ ...request, messages: [...request.messages, message] }))
      assert.strictEqual(
        mock.seen[1].body,
        `{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","refusal":"I can't help."}]}`
      )
    }))

  it.effect("tokenize counts a conversation as chat completions will send it", () =>
    Effect.gen(function*() {
      const { mock, use } = setup((_, attempt) => json(attempt === 1 ? toolTurn(1) : { count: 3, tokens: [1, 2, 3] }))
      const completion = yield* use((tm) =>
        tm.chat.completions.create({ model: "m", messages: [{ role: "user", content: "Weather?" }] })
      )
      yield* use((tm) =>
        tm.tokenize.create({
          model: "m",
          messages: [{ role: "user", content: "Weather?" }, completion.choices[0].message]
        })
      )
      assert.strictEqual(
        mock.seen[1].body,
        `{"model":"m","messages":[{"role":"user","content":"Weather?"},${assistantJson(1)}]}`
      )
    }))

  it.effect("tool messages take text or parts; user messages stay strict", () =>
    Effect.gen(function*() {
      const { mock, use } = setup(() => json(F.chatCompletion("ok")))
      yield* use((tm) =>
        tm.chat.completions.create({
          model: "m",
          messages: [
            { role: "user", content: [{ type: "text", text: "Weather?" }] },
            {
              role: "assistant",
              tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }]
            },
            { role: "tool", tool_call_id: "c1", content: [{ type: "text", text: "31C" }] }
          ]
        })
      )
      assert.deepStrictEqual(mock.seen[0].json.messages[2], {
        role: "tool",
        tool_call_id: "c1",
        content: [{ type: "text", text: "31C" }]
      })
      const typo = failure(
        yield* Effect.exit(use((tm) =>
          tm.chat.completions.create({
            model: "m",
            messages: [{ role: "user", content: "x", refusal: null } as never]
          })
        ))
      )
      assert.include(typo.detail, "messages.0.refusal: is unexpected")
      const noId = failure(
        yield* Effect.exit(
          use((tm) => tm.chat.completions.create({ model: "m", messages: [{ role: "tool", content: "31C" } as never] }))
        )
      )
      assert.include(noId.detail, "messages.0.tool_call_id: is missing")
      assert.strictEqual(mock.seen.length, 1)
    }))
})

describe("responses: output items are the next input", () => {
  const output = [
    {
      type: "reasoning",
      id: "rs_1",
      summary: [],
      content: [{ type: "reasoning_text", text: "I will call it." }],
      encrypted_content: null,
      status: null
    },
    {
      type: "function_call",
      id: "fc_1",
      call_id: "call_1",
      name: "get_weather",
      arguments: "{\"city\":\"Oslo\"}",
      status: "completed"
    }
  ]
  const first = { ...F.response("", { input_tokens: 3, output_tokens: 4 }), output }
  const tool = { type: "function" as const, name: "get_weather", description: "Look up the weather." }

  it.effect("reasoning and function_call items (with id and status) round-trip, byte by byte", () =>
    Effect.gen(function*() {
      const { mock, use } = setup((_, attempt) =>
        json(attempt === 1 ? first : F.response("It is 8C.", { input_tokens: 9, output_tokens: 4 }))
      )
      const input: Array<Responses.ResponseInputItem> = [{ role: "user", content: "Weather in Oslo?" }]
      const response = yield* use((tm) => tm.responses.create({ model: "m", input, tools: [tool] }))
      input.push(...response.output)
      input.push({ type: "function_call_output", call_id: "call_1", output: "8C" })
      const next = yield* use((tm) => tm.responses.create({ model: "m", input, tools: [tool] }))
      input.push(...next.output)
      yield* use((tm) => tm.responses.create({ model: "m", input }))
      assert.strictEqual(
        mock.seen[1].body,
        `{"model":"m","input":[{"role":"user","content":"Weather in Oslo?"},{"type":"reasoning","id":"rs_1",` +
          `"summary":[],"content":[{"type":"reasoning_text","text":"I will call it."}]},{"type":"function_call",` +
          `"id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\\"city\\":\\"Oslo\\"}",` +
          `"status":"completed"},{"type":"function_call_output","call_id":"call_1","output":"8C"}],` +
          `"tools":[{"type":"function","name":"get_weather","description":"Look up the weather."}]}`
      )
      // the message item of the second response goes back with its id, status and parts as returned
      assert.strictEqual(
        JSON.stringify(mock.seen[2].json.input.slice(4)),
        `[{"type":"reasoning","id":"rs_1","summary":[],"content":[{"type":"reasoning_text","text":"thinking"}]},` +
          `{"type":"message","id":"msg_77a","role":"assistant","content":[{"type":"output_text","text":"It is 8C.",` +
          `"annotations":[]}],"status":"completed"}]`
      )
    }))

  it.effect("an invalid item is reported with its index and its own problem", () =>
    Effect.gen(function*() {
      const { mock, use } = setup(() => json(first))
      const error = failure(
        yield* Effect.exit(use((tm) =>
          tm.responses.create({
            model: "m",
            input: [
              { role: "user", content: "hi" },
              { type: "function_call", call_id: "c", name: 1, arguments: "{}" } as never
            ]
          })
        ))
      )
      assert.instanceOf(error, ValidationError)
      assert.include(error.detail, "input.1: function_call item: name: Expected string, actual 1")
      assert.notInclude(error.detail, "Expected string, actual [")
      const role = failure(
        yield* Effect.exit(
          use((tm) => tm.responses.create({ model: "m", input: [{ role: "robot", content: "hi" } as never] }))
        )
      )
      assert.include(role.detail, "input.0: message item: role: Expected \"system\" | \"developer\" | \"user\"")
      const output = failure(
        yield* Effect.exit(use((tm) =>
          tm.responses.create({
            model: "m",
            input: [{ type: "function_call_output", call_id: "c", output: "x", outptu: "y" } as never]
          })
        ))
      )
      assert.include(output.detail, "input.0: function_call_output item: outptu: is unexpected")
      assert.strictEqual(mock.seen.length, 0)
    }))

  it.effect("openai-node's input item shapes: EasyInputMessage, Message with status, outputs as parts", () =>
    Effect.gen(function*() {
      const { mock, use } = setup(() => json(first))
      const input: Array<Responses.ResponseInputItem> = [
        { type: "message", role: "developer", content: [{ type: "input_text", text: "Be brief." }] },
        { role: "user", content: [{ type: "input_image", image_url: "https://example.com/a.png", detail: "auto" }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }], status: "completed" },
        { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: [{ type: "input_text", text: "done" }] }
      ]
      yield* use((tm) => tm.responses.create({ model: "m", input }))
      assert.deepStrictEqual(mock.seen[0].json.input, input)
    }))

  it.effect("items of other types (openai-node's built-in tool items) are passed through as given", () =>
    Effect.gen(function*() {
      const { mock, use } = setup(() => json(first))
      const item = { type: "web_search_call", id: "ws_1", status: "completed", action: { query: "q" } }
      yield* use((tm) => tm.responses.create({ model: "m", input: [item, { type: "item_reference", id: "msg_0" }] }))
      assert.deepStrictEqual(mock.seen[0].json.input, [item, { type: "item_reference", id: "msg_0" }])
    }))
})

describe("stream: true, as the Python guide passes it", () => {
  const chat = { model: "m", messages: [{ role: "user" as const, content: "Stream a short reply." }] }
  const chatSse = () =>
    sse([
      data(F.chunk({ role: "assistant", content: "" })),
      data(F.chunk({ content: "Hi" }, "stop")),
      "data: [DONE]\n\n"
    ])

  it.effect("withStreamingResponse.create({ stream: true }) on the three streaming routes", () =>
    Effect.gen(function*() {
      const { mock, use } = setup((req) =>
        req.url.endsWith("/responses")
          ? sse([
            `event: response.completed\ndata: ${
              JSON.stringify({ type: "response.completed", response: F.response("x", {}) })
            }\n\n`
          ])
          : chatSse()
      )
      const lines = (f: (tm: InferenceClient) => Effect.Effect<StreamingResponse, TensormeshError, Scope.Scope>) =>
        use((tm) => Effect.scoped(Effect.flatMap(f(tm), (raw) => Stream.runCollect(raw.lines))))
      yield* lines((tm) => tm.chat.completions.withStreamingResponse.create({ ...chat, stream: true }))
      yield* lines((tm) => tm.completions.withStreamingResponse.create({ model: "m", prompt: "Stream.", stream: true }))
      yield* lines((tm) => tm.responses.withStreamingResponse.create({ model: "m", input: "x", stream: true }))
      assert.strictEqual(mock.seen.length, 3)
      assert.strictEqual(
        mock.seen[0].body,
        `{"model":"m","messages":[{"role":"user","content":"Stream a short reply."}],` +
          `"stream_options":{"include_usage":true},"stream":true}`
      )
      assert.strictEqual(
        mock.seen[1].body,
        `{"model":"m","prompt":"Stream.","stream_options":{"include_usage":true},"stream":true}`
      )
      assert.strictEqual(mock.seen[2].body, `{"model":"m","input":"x","stream":true}`)
    }))

  it.effect(".stream({ stream: true }) is accepted; stream: false on a streaming method is a clear ValidationError", () =>
    Effect.gen(function*() {
      const { mock, use } = setup(() => chatSse())
      const text = yield* use((tm) =>
        tm.chat.completions.stream({ ...chat, stream: true }).pipe(ChatStream.textDeltas, Stream.mkString)
      )
      assert.strictEqual(text, "Hi")
      for (
        const call of [
          (tm: InferenceClient) =>
            Effect.scoped(tm.chat.completions.withStreamingResponse.create({ ...chat, stream: false } as never)),
          (tm: InferenceClient) =>
            Effect.scoped(
              tm.completions.withStreamingResponse.create({ model: "m", prompt: "x", stream: false } as never)
            ),
          (tm: InferenceClient) =>
            Effect.scoped(
              tm.responses.withStreamingResponse.create({ model: "m", input: "x", stream: false } as never)
            ),
          (tm: InferenceClient) => Stream.runDrain(tm.chat.completions.stream({ ...chat, stream: false } as never))
        ]
      ) {
        const error = failure(yield* Effect.exit(use(call)))
        assert.strictEqual(error._tag, "ValidationError")
        assert.strictEqual(error.reason, "InvalidRequest")
        assert.include(error.detail, "stream: false is not accepted by a streaming method")
      }
      assert.strictEqual(mock.seen.length, 1)
    }))

  it.effect("create({ stream: true }) says to call .stream(request); nothing is sent", () =>
    Effect.gen(function*() {
      const { mock, use } = setup(() => json(F.chatCompletion("x")))
      const calls: Array<(tm: InferenceClient) => Effect.Effect<unknown, TensormeshError>> = [
        (tm: InferenceClient) => tm.chat.completions.create({ ...chat, stream: true } as never),
        (tm: InferenceClient) => tm.chat.completions.withRawResponse.create({ ...chat, stream: true } as never),
        (tm: InferenceClient) => tm.completions.create({ model: "m", prompt: "x", stream: true } as never),
        (tm: InferenceClient) => tm.responses.create({ model: "m", input: "x", stream: true } as never)
      ]
      for (const call of calls) {
        const error = failure(yield* Effect.exit(use(call)))
        assert.strictEqual(error._tag, "ValidationError")
        assert.include(error.detail, "call .stream(request)")
      }
      const other = failure(
        yield* Effect.exit(
          use((tm) => tm.chat.completions.stream({ ...chat, stream: "yes" } as never).pipe(Stream.runDrain))
        )
      )
      assert.include(other.detail, "stream: must be a boolean")
      const tokenize = failure(
        yield* Effect.exit(use((tm) => tm.tokenize.create({ model: "m", prompt: "x", stream: true } as never)))
      )
      assert.include(tokenize.detail, "stream: is unexpected")
      assert.strictEqual(mock.seen.length, 0)
    }))
})
