import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, FastCheck } from "effect"
import * as LocalServer from "../src/LocalServer.js"
import { dataPayloads, frames, get, KEY, post, request, USER_ID } from "./support/http.js"

const ECHO = "tensormesh/echo"
const OSS = "openai/gpt-oss-20b"
const user = (content: string) => [{ role: "user", content }]

const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: {
      type: "object",
      properties: {
        city: { type: "string" },
        days: { type: "integer" },
        metric: { type: "boolean" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
        where: { type: "object", properties: { lat: { type: "number" } }, required: ["lat"] },
        tags: { type: "array", items: { type: "string" } }
      },
      required: ["city", "days"]
    }
  }
}

const otherTool = {
  type: "function",
  function: { name: "get_time", description: "Time in a city", parameters: { type: "object", properties: {} } }
}

const tokenCount = (text: string) => LocalServer.tokenize(text).length

layer(LocalServer.layer(), { excludeTestServices: true })("serverless", (it) => {
  describe("keyless routes", () => {
    it.effect("GET /v1/models lists every model in the vLLM shape", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        assert.strictEqual(server.mode, "serverless")
        assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/)
        const res = yield* get(server, "/v1/models")
        assert.strictEqual(res.status, 200)
        const body = res.json()
        assert.strictEqual(body.object, "list")
        assert.deepStrictEqual(body.data.map((m: any) => m.id), LocalServer.models.map((m) => m.id))
        assert.deepStrictEqual(Object.keys(body.data[0]), [
          "id",
          "object",
          "created",
          "owned_by",
          "root",
          "parent",
          "max_model_len",
          "permission"
        ])
        assert.strictEqual(body.data[0].max_model_len, 4096)
        assert.strictEqual(body.data[1].max_model_len, 131072)
        assert.strictEqual(body.data[0].parent, null)
      }))

    it.effect("GET /health is 200 with an empty body, GET /version gives a version", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const health = yield* get(server, "/health")
        assert.strictEqual(health.status, 200)
        assert.strictEqual(health.text, "")
        const version = yield* get(server, "/version")
        assert.strictEqual(version.status, 200)
        assert.isString(version.json().version)
      }))

    it.effect("unknown paths are 404 and wrong methods 405, in the FastAPI shape", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const missing = yield* get(server, "/v1/embeddings")
        assert.strictEqual(missing.status, 404)
        assert.deepStrictEqual(missing.json(), { detail: "Not Found" })
        const wrongGet = yield* get(server, "/v1/chat/completions")
        assert.strictEqual(wrongGet.status, 405)
        assert.deepStrictEqual(wrongGet.json(), { detail: "Method Not Allowed" })
        const wrongPost = yield* post(server, "/v1/models", {})
        assert.strictEqual(wrongPost.status, 405)
        assert.deepStrictEqual(wrongPost.json(), { detail: "Method Not Allowed" })
      }))
  })

  describe("auth and request validation", () => {
    it.effect("every POST route needs a Bearer key", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        for (const path of ["/v1/chat/completions", "/v1/completions", "/v1/responses", "/tokenize", "/detokenize"]) {
          const none = yield* request(`${server.root}${path}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: "{}"
          })
          assert.strictEqual(none.status, 401, path)
          assert.deepStrictEqual(none.json(), { error: "Unauthorized" })
          const empty = yield* post(server, path, {}, { authorization: "Bearer  " })
          assert.strictEqual(empty.status, 401, path)
        }
      }))

    it.effect("a non-JSON content type and an invalid JSON body are 400", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const plain = yield* post(server, "/v1/chat/completions", "{}", { "content-type": "text/plain" })
        assert.strictEqual(plain.status, 400)
        assert.strictEqual(plain.json().error.type, "BadRequestError")
        assert.match(plain.json().error.message, /application\/json/)
        const broken = yield* post(server, "/v1/chat/completions", "{\"model\":")
        assert.strictEqual(broken.status, 400)
        assert.strictEqual(broken.json().error.code, 400)
      }))

    it.effect("invalid bodies are 400 in the nested shape, with the offending param", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const missing = yield* post(server, "/v1/chat/completions", { model: ECHO })
        assert.strictEqual(missing.status, 400)
        const error = missing.json().error
        assert.deepStrictEqual(Object.keys(missing.json()), ["error"])
        assert.strictEqual(error.type, "BadRequestError")
        assert.strictEqual(error.code, 400)
        assert.strictEqual(error.param, "messages")
        const wrongType = yield* post(server, "/v1/chat/completions", { model: ECHO, messages: user("x"), n: "2" })
        assert.strictEqual(wrongType.status, 400)
        assert.strictEqual(wrongType.json().error.param, "n")
        const noPrompt = yield* post(server, "/v1/completions", { model: ECHO })
        assert.strictEqual(noPrompt.status, 400)
      }))

    it.effect("an unknown model is 404 NotFoundError", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const res = yield* post(server, "/v1/chat/completions", { model: "foo/bar", messages: user("x") })
        assert.strictEqual(res.status, 404)
        assert.deepStrictEqual(res.json(), {
          error: { message: "The model `foo/bar` does not exist.", type: "NotFoundError", param: "model", code: 404 }
        })
      }))

    it.effect("policy checks: stream_options, tools, tool_choice, n at temperature 0, suffix", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const chat = (extra: object) =>
          post(server, "/v1/chat/completions", { model: ECHO, messages: user("x"), ...extra })
        const streamOptions = yield* chat({ stream_options: { include_usage: true } })
        assert.strictEqual(streamOptions.status, 400)
        assert.strictEqual(streamOptions.json().error.param, "stream_options")
        assert.strictEqual((yield* chat({ tools: [] })).status, 400)
        assert.strictEqual((yield* chat({ tool_choice: "auto" })).status, 400)
        const unknownTool = yield* chat({
          tools: [weatherTool],
          tool_choice: { type: "function", function: { name: "x" } }
        })
        assert.strictEqual(unknownTool.status, 400)
        assert.strictEqual((yield* chat({ n: 2, temperature: 0 })).status, 400)
        assert.strictEqual((yield* chat({ n: 2, temperature: 0.7 })).status, 200)
        const formats = [{ type: "text" }, { type: "json_object" }, {
          type: "json_schema",
          json_schema: { name: "x", schema: { type: "object" } }
        }]
        for (const response_format of formats) assert.strictEqual((yield* chat({ response_format })).status, 200)
        const suffix = yield* post(server, "/v1/completions", { model: ECHO, prompt: "x", suffix: "y" })
        assert.strictEqual(suffix.status, 400)
        assert.strictEqual(suffix.json().error.param, "suffix")
        assert.strictEqual(
          (yield* post(server, "/v1/completions", { model: ECHO, prompt: "x", suffix: null })).status,
          200
        )
      }))
  })

  describe("chat completions", () => {
    it.effect("a non-streaming completion has every optional key, null when unset", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const res = yield* post(server, "/v1/chat/completions", { model: ECHO, messages: user("Hello there") })
        assert.strictEqual(res.status, 200)
        const body = res.json()
        assert.match(body.id, /^chatcmpl-/)
        assert.strictEqual(body.object, "chat.completion")
        assert.isNumber(body.created)
        assert.strictEqual(body.model, ECHO)
        for (const key of ["system_fingerprint", "prompt_logprobs", "prompt_token_ids", "kv_transfer_params"]) {
          assert.isTrue(key in body && body[key] === null, key)
        }
        const [choice] = body.choices
        assert.deepStrictEqual(choice.message, {
          role: "assistant",
          content: "You said: Hello there",
          refusal: null,
          annotations: null,
          audio: null,
          function_call: null,
          tool_calls: [],
          reasoning: null
        })
        assert.strictEqual(choice.finish_reason, "stop")
        assert.strictEqual(choice.stop_reason, null)
        assert.strictEqual(choice.logprobs, null)
        assert.strictEqual(choice.token_ids, null)
        assert.strictEqual(body.usage.completion_tokens, tokenCount("You said: Hello there"))
        assert.strictEqual(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens)
        assert.strictEqual(body.usage.prompt_tokens_details.cached_tokens, 0)
      }))

    it.effect("prompt_tokens agree with /tokenize on the messages", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const messages = [{ role: "system", content: "Be brief." }, { role: "user", content: "Count me ✨" }]
        const chat = (yield* post(server, "/v1/chat/completions", { model: ECHO, messages })).json()
        const tokenized = (yield* post(server, "/tokenize", { model: ECHO, messages })).json()
        assert.strictEqual(chat.usage.prompt_tokens, tokenized.count)
        assert.strictEqual(tokenized.max_model_len, 4096)
      }))

    it.effect("gpt-oss sends reasoning, reasoning-content sends reasoning_content", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const oss = (yield* post(server, "/v1/chat/completions", { model: OSS, messages: user("Hi") })).json()
        assert.strictEqual(oss.choices[0].message.content, "You said: Hi")
        assert.strictEqual(oss.choices[0].message.reasoning, "The user said Hi. I will echo it.")
        assert.isObject(oss.kv_transfer_params.cached_token_stats)
        assert.strictEqual(
          oss.usage.completion_tokens,
          tokenCount("You said: Hi") + tokenCount("The user said Hi. I will echo it.")
        )
        const rc = (yield* post(server, "/v1/chat/completions", {
          model: "tensormesh/reasoning-content",
          messages: user("Hi")
        })).json()
        assert.strictEqual(rc.choices[0].message.reasoning_content, "The user said Hi. I will echo it.")
        assert.isFalse("reasoning" in rc.choices[0].message)
      }))

    it.effect("think-leak leaks a <think> block into content, split across stream chunks", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const body = { model: "tensormesh/think-leak", messages: user("Hi") }
        const plain = (yield* post(server, "/v1/chat/completions", body)).json()
        const content = plain.choices[0].message.content
        assert.strictEqual(content, "<think>The user said Hi. I will echo it.</think>\n\nYou said: Hi")
        const stream = dataPayloads((yield* post(server, "/v1/chat/completions", { ...body, stream: true })).text)
        const deltas: Array<string> = stream.filter((c) => c !== "[DONE]").flatMap((c) =>
          c.choices.map((choice: any) => choice.delta.content).filter((d: unknown) => typeof d === "string")
        )
        assert.strictEqual(deltas.join(""), content)
        assert.isFalse(deltas.includes("<think>"), "the opening tag is split")
        const open = deltas.indexOf("<")
        assert.deepStrictEqual(deltas.slice(open, open + 3), ["<", "thi", "nk"])
      }))

    it.effect("max_tokens and max_completion_tokens truncate with finish_reason length", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        for (const limit of [{ max_tokens: 3 }, { max_completion_tokens: 3 }]) {
          const body = (yield* post(server, "/v1/chat/completions", {
            model: ECHO,
            messages: user("a long enough message"),
            ...limit
          })).json()
          assert.strictEqual(body.choices[0].finish_reason, "length")
          assert.strictEqual(body.usage.completion_tokens, 3)
          assert.strictEqual(body.choices[0].message.content, "You sai")
        }
        const oss = (yield* post(server, "/v1/chat/completions", { model: OSS, messages: user("x"), max_tokens: 2 }))
          .json()
        assert.strictEqual(oss.choices[0].message.content, null, "truncated inside the reasoning")
        assert.strictEqual(oss.choices[0].message.reasoning, "The ")
      }))

    it.effect("n > 1 gives n choices, and stop strings cut the content", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const body = (yield* post(server, "/v1/chat/completions", { model: ECHO, messages: user("x y"), n: 3 })).json()
        assert.deepStrictEqual(body.choices.map((c: any) => c.index), [0, 1, 2])
        assert.strictEqual(body.usage.completion_tokens, 3 * tokenCount("You said: x y"))
        const stopped =
          (yield* post(server, "/v1/chat/completions", { model: ECHO, messages: user("x y"), stop: [" y"] }))
            .json()
        assert.strictEqual(stopped.choices[0].message.content, "You said: x")
        assert.strictEqual(stopped.choices[0].stop_reason, " y")
      }))

    it.effect("JSON mode answers with a JSON object; json_schema follows the schema", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const object = (yield* post(server, "/v1/chat/completions", {
          model: OSS,
          messages: user("Hi"),
          response_format: { type: "json_object" }
        })).json()
        assert.deepStrictEqual(JSON.parse(object.choices[0].message.content), { answer: "You said: Hi" })
        const schema = {
          type: "object",
          properties: { city: { type: "string" }, score: { type: "number" }, ok: { type: "boolean" } },
          required: ["city", "score", "ok"]
        }
        const shaped = (yield* post(server, "/v1/chat/completions", {
          model: ECHO,
          messages: user("Paris"),
          response_format: { type: "json_schema", json_schema: { name: "answer", schema, strict: true } }
        })).json()
        assert.deepStrictEqual(JSON.parse(shaped.choices[0].message.content), {
          city: "You said: Paris",
          score: 1,
          ok: true
        })
      }))

    it.effect("json_object mode follows a JSON Schema on the last line of a system message", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city", "n"] }
        const hinted = (yield* post(server, "/v1/chat/completions", {
          model: ECHO,
          messages: [{ role: "system", content: `Answer in JSON.\n${JSON.stringify(schema)}` }, ...user("Rome")],
          response_format: { type: "json_object" }
        })).json()
        assert.deepStrictEqual(JSON.parse(hinted.choices[0].message.content), {
          city: "You said: Rome",
          n: "You said: Rome"
        })
        const prose = (yield* post(server, "/v1/chat/completions", {
          model: ECHO,
          messages: [{ role: "system", content: "Answer in JSON. {not a schema" }, ...user("Rome")],
          response_format: { type: "json_object" }
        })).json()
        assert.deepStrictEqual(JSON.parse(prose.choices[0].message.content), { answer: "You said: Rome" })
      }))

    it.effect("a chat stream: role chunk, one token per delta, finish, usage-only chunk, [DONE]", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const res = yield* post(server, "/v1/chat/completions", {
          model: ECHO,
          messages: user("Stream me"),
          stream: true,
          stream_options: { include_usage: true }
        })
        assert.strictEqual(res.status, 200)
        assert.strictEqual(res.headers.get("content-type"), "text/event-stream; charset=utf-8")
        assert.isTrue(res.text.endsWith("data: [DONE]\n\n"))
        assert.isTrue(frames(res.text).every((frame) => frame.event === undefined && frame.data !== undefined))
        const chunks = dataPayloads(res.text)
        assert.strictEqual(chunks.pop(), "[DONE]")
        const usageChunk = chunks.pop()
        assert.deepStrictEqual(usageChunk.choices, [])
        const expected = "You said: Stream me"
        assert.deepStrictEqual(usageChunk.usage.completion_tokens, tokenCount(expected))
        const [role, ...deltas] = chunks
        assert.strictEqual(role.object, "chat.completion.chunk")
        assert.deepStrictEqual(role.choices[0].delta, { role: "assistant", content: "" })
        assert.isFalse("token_ids" in role.choices[0])
        assert.isTrue(chunks.every((c) => c.id === role.id))
        assert.strictEqual(deltas.length, tokenCount(expected))
        assert.strictEqual(deltas.map((c) => c.choices[0].delta.content).join(""), expected)
        const last = deltas[deltas.length - 1]
        assert.strictEqual(last.choices[0].finish_reason, "stop")
        assert.strictEqual(last.choices[0].stop_reason, null)
        assert.isTrue(deltas.slice(0, -1).every((c) => c.choices[0].finish_reason === null))
        assert.isFalse("stop_reason" in deltas[0].choices[0], "unset keys are omitted in chunks")
      }))

    it.effect("reasoning deltas come before content deltas", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const chunks = dataPayloads(
          (yield* post(server, "/v1/chat/completions", { model: OSS, messages: user("Hi"), stream: true })).text
        ).filter((c) => c !== "[DONE]").slice(1)
        const kinds = chunks.map((c) => "reasoning" in c.choices[0].delta ? "r" : "c").join("")
        assert.match(kinds, /^r+c+$/)
        assert.strictEqual(
          chunks.map((c) => c.choices[0].delta.reasoning ?? "").join(""),
          "The user said Hi. I will echo it."
        )
      }))
  })

  describe("tool calls", () => {
    it.effect("non-streaming: one call for the first tool, arguments matching its schema", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const body = (yield* post(server, "/v1/chat/completions", {
          model: ECHO,
          messages: user("Bangkok"),
          tools: [weatherTool, otherTool]
        })).json()
        const [choice] = body.choices
        assert.strictEqual(choice.finish_reason, "tool_calls")
        assert.strictEqual(choice.message.content, null)
        const [call] = choice.message.tool_calls
        assert.match(call.id, /^chatcmpl-tool-[0-9a-f]+$/)
        assert.strictEqual(call.type, "function")
        assert.strictEqual(call.function.name, "get_weather")
        assert.deepStrictEqual(JSON.parse(call.function.arguments), {
          city: "Bangkok",
          days: 1,
          metric: true,
          unit: "celsius",
          where: { lat: 1 },
          tags: []
        })
        const again = (yield* post(server, "/v1/chat/completions", {
          model: ECHO,
          messages: user("Bangkok"),
          tools: [weatherTool, otherTool]
        })).json()
        assert.strictEqual(again.choices[0].message.tool_calls[0].id, call.id, "deterministic")
      }))

    it.effect("a named tool_choice calls that tool and finishes with stop; none answers in text", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const named = (yield* post(server, "/v1/chat/completions", {
          model: OSS,
          messages: user("Oslo"),
          tools: [weatherTool, otherTool],
          tool_choice: { type: "function", function: { name: "get_time" } }
        })).json()
        assert.strictEqual(named.choices[0].finish_reason, "stop")
        assert.strictEqual(named.choices[0].message.tool_calls[0].function.name, "get_time")
        assert.strictEqual(named.choices[0].message.tool_calls[0].function.arguments, "{}")
        const none = (yield* post(server, "/v1/chat/completions", {
          model: ECHO,
          messages: user("Oslo"),
          tools: [weatherTool],
          tool_choice: "none"
        })).json()
        assert.strictEqual(none.choices[0].message.content, "You said: Oslo")
        assert.deepStrictEqual(none.choices[0].message.tool_calls, [])
      }))

    it.effect("after a tool result the model answers in text", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const body = (yield* post(server, "/v1/chat/completions", {
          model: ECHO,
          tools: [weatherTool],
          messages: [
            { role: "user", content: "Bangkok" },
            {
              role: "assistant",
              content: null,
              tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: "{}" } }]
            },
            { role: "tool", tool_call_id: "c1", content: "31C" }
          ]
        })).json()
        assert.strictEqual(body.choices[0].message.content, "The tool returned: 31C")
        assert.strictEqual(body.choices[0].finish_reason, "stop")
      }))

    it.effect("streamed tool-call deltas accumulate into the non-streamed call", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const request = { model: ECHO, messages: user("Bangkok"), tools: [weatherTool] }
        const plain = (yield* post(server, "/v1/chat/completions", request)).json().choices[0].message.tool_calls[0]
        const chunks = dataPayloads((yield* post(server, "/v1/chat/completions", { ...request, stream: true })).text)
        assert.strictEqual(chunks.pop(), "[DONE]")
        const [, first, ...rest] = chunks
        assert.deepStrictEqual(first.choices[0].delta.tool_calls, [{
          index: 0,
          id: plain.id,
          type: "function",
          function: { name: "get_weather", arguments: "" }
        }])
        const final = rest.pop()
        assert.deepStrictEqual(final.choices[0].delta, {})
        assert.strictEqual(final.choices[0].finish_reason, "tool_calls")
        const fragments = rest.map((c) => {
          const [call] = c.choices[0].delta.tool_calls
          assert.deepStrictEqual(Object.keys(call), ["index", "function"])
          return call.function.arguments
        })
        assert.isAbove(fragments.length, 1)
        assert.strictEqual(fragments.join(""), plain.function.arguments)
      }))
  })

  describe("completions", () => {
    it.effect("a completion continues the prompt, 16 tokens at most by default", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const short = (yield* post(server, "/v1/completions", { model: ECHO, prompt: "Hi" })).json()
        assert.strictEqual(short.object, "text_completion")
        assert.match(short.id, /^cmpl-/)
        assert.deepStrictEqual(short.choices[0], {
          index: 0,
          text: " You said: Hi",
          logprobs: null,
          finish_reason: "stop",
          stop_reason: null,
          token_ids: null,
          prompt_logprobs: null,
          prompt_token_ids: null
        })
        assert.strictEqual(short.usage.prompt_tokens, tokenCount("Hi"))
        const long = (yield* post(server, "/v1/completions", { model: ECHO, prompt: "Say this is a test please" }))
          .json()
        assert.strictEqual(long.choices[0].finish_reason, "length")
        assert.strictEqual(long.usage.completion_tokens, 16)
      }))

    it.effect("a prompt list is a batch with index prompt * n + i, and streams end with [DONE]", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const batch = (yield* post(server, "/v1/completions", {
          model: ECHO,
          prompt: ["a", "b"],
          n: 2,
          temperature: 1
        })).json()
        assert.deepStrictEqual(batch.choices.map((c: any) => [c.index, c.text]), [
          [0, " You said: a"],
          [1, " You said: a"],
          [2, " You said: b"],
          [3, " You said: b"]
        ])
        const res = yield* post(server, "/v1/completions", {
          model: ECHO,
          prompt: "a",
          stream: true,
          stream_options: { include_usage: true }
        })
        const chunks = dataPayloads(res.text)
        assert.strictEqual(chunks.pop(), "[DONE]")
        assert.deepStrictEqual(chunks.pop().choices, [])
        assert.strictEqual(chunks.map((c) => c.choices[0].text).join(""), " You said: a")
        assert.strictEqual(chunks[chunks.length - 1].choices[0].finish_reason, "stop")
        assert.isTrue(chunks.every((c) => c.object === "text_completion" && "stop_reason" in c.choices[0]))
      }))
  })

  describe("responses", () => {
    it.effect("a response has a reasoning item and a message for a reasoning model", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const body = (yield* post(server, "/v1/responses", { model: OSS, input: "Hi", instructions: "Be kind." }))
          .json()
        assert.strictEqual(body.object, "response")
        assert.match(body.id, /^resp_/)
        assert.strictEqual(body.status, "completed")
        assert.strictEqual(body.incomplete_details, null)
        assert.strictEqual(body.instructions, "Be kind.")
        const [reasoning, message] = body.output
        assert.strictEqual(reasoning.type, "reasoning")
        assert.match(reasoning.id, /^rs_/)
        assert.deepStrictEqual(reasoning.content, [{
          type: "reasoning_text",
          text: "The user said Hi. I will echo it."
        }])
        assert.strictEqual(message.type, "message")
        assert.match(message.id, /^msg_/)
        assert.strictEqual(message.content[0].type, "output_text")
        assert.strictEqual(message.content[0].text, "You said: Hi")
        assert.deepStrictEqual(Object.keys(body.usage), [
          "prompt_tokens",
          "completion_tokens",
          "total_tokens",
          "prompt_tokens_details"
        ])
        const echo = (yield* post(server, "/v1/responses", {
          model: ECHO,
          input: [{ role: "user", content: [{ type: "input_text", text: "Yo" }] }]
        })).json()
        assert.deepStrictEqual(echo.output.map((item: any) => item.type), ["message"])
        assert.strictEqual(echo.output[0].content[0].text, "You said: Yo")
      }))

    it.effect("max_output_tokens makes the response incomplete", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const body = (yield* post(server, "/v1/responses", { model: ECHO, input: "Hello", max_output_tokens: 2 }))
          .json()
        assert.strictEqual(body.status, "incomplete")
        assert.deepStrictEqual(body.incomplete_details, { reason: "max_output_tokens" })
        assert.strictEqual(body.usage.completion_tokens, 2)
      }))

    it.effect("flat function tools give a function_call item", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const tool = { type: "function", ...weatherTool.function, strict: true }
        const body = (yield* post(server, "/v1/responses", { model: ECHO, input: "Lima", tools: [tool] })).json()
        const [call] = body.output
        assert.strictEqual(call.type, "function_call")
        assert.match(call.id, /^fc_/)
        assert.strictEqual(call.name, "get_weather")
        assert.strictEqual(JSON.parse(call.arguments).city, "Lima")
        assert.strictEqual(call.status, "completed")
        const after = (yield* post(server, "/v1/responses", {
          model: ECHO,
          tools: [tool],
          input: [
            { role: "user", content: "Lima" },
            { type: "function_call", call_id: call.call_id, name: "get_weather", arguments: call.arguments },
            { type: "function_call_output", call_id: call.call_id, output: "18C" }
          ]
        })).json()
        assert.strictEqual(after.output[0].content[0].text, "The tool returned: 18C")
      }))

    it.effect("a response stream: every event in order, sequence numbers from 0, no [DONE]", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const res = yield* post(server, "/v1/responses", { model: OSS, input: "Hi", stream: true })
        assert.strictEqual(res.headers.get("content-type"), "text/event-stream; charset=utf-8")
        assert.notInclude(res.text, "[DONE]")
        const events = frames(res.text).map((frame) => {
          const data = JSON.parse(frame.data!)
          assert.strictEqual(data.type, frame.event)
          return data
        })
        assert.deepStrictEqual(events.map((e) => e.sequence_number), events.map((_, i) => i))
        const types = events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1])
        assert.deepStrictEqual(types, [
          "response.created",
          "response.in_progress",
          "response.output_item.added",
          "response.reasoning_part.added",
          "response.reasoning_text.delta",
          "response.reasoning_text.done",
          "response.reasoning_part.done",
          "response.output_item.done",
          "response.output_item.added",
          "response.content_part.added",
          "response.output_text.delta",
          "response.output_text.done",
          "response.content_part.done",
          "response.output_item.done",
          "response.completed"
        ])
        assert.strictEqual(events[0].response.status, "in_progress")
        assert.strictEqual(events[0].response.usage, null)
        const completed = events[events.length - 1].response
        const added = events.filter((e) => e.type === "response.output_item.added")
        assert.notStrictEqual(added[1].item.id, completed.output[1].id, "stream ids differ from final ids")
        assert.match(added[1].item.id, /^[0-9a-f-]{36}$/)
        const text = events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("")
        assert.strictEqual(text, completed.output[1].content[0].text)
        assert.strictEqual(
          completed.usage.completion_tokens,
          tokenCount("The user said Hi. I will echo it.") + tokenCount("You said: Hi")
        )
      }))

    it.effect("a streamed function call sends argument deltas", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const tool = { type: "function", ...weatherTool.function, strict: true }
        const res = yield* post(server, "/v1/responses", { model: ECHO, input: "Lima", tools: [tool], stream: true })
        const events = frames(res.text).map((frame) => JSON.parse(frame.data!))
        const added = events.find((e) => e.type === "response.output_item.added")
        assert.strictEqual(added.item.type, "function_call")
        assert.strictEqual(added.item.arguments, "")
        assert.match(added.item.call_id, /^call_/)
        const deltas = events.filter((e) => e.type === "response.function_call_arguments.delta").map((e) => e.delta)
        const done = events.find((e) => e.type === "response.function_call_arguments.done")
        assert.strictEqual(deltas.join(""), done.arguments)
        const final = events[events.length - 1].response.output[0]
        assert.strictEqual(final.arguments, done.arguments)
        assert.match(final.call_id, /^chatcmpl-tool-/)
      }))
  })

  describe("tokenizer", () => {
    it.effect("tokenize / detokenize round trip tricky Unicode over HTTP", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const samples = [
          "Hello world",
          "e\u0301 n\u0303 a\u0308\u0304",
          "👩‍👩‍👧‍👦 family 🇫🇷 flag 👋🏽",
          "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and 中文字符 and عربى",
          "lone \ud800 high, lone \udc00 low, reversed \udc00\ud800",
          "\u0000\t\r\n  spaces   ",
          ""
        ]
        for (const text of samples) {
          const tokenized = (yield* post(server, "/tokenize", { model: ECHO, prompt: text, return_token_strs: true }))
            .json()
          assert.strictEqual(tokenized.count, tokenized.tokens.length)
          assert.strictEqual(tokenized.token_strs.join(""), text)
          const detokenized = (yield* post(server, "/detokenize", { model: ECHO, tokens: tokenized.tokens })).json()
          assert.strictEqual(detokenized.prompt, text)
        }
        const plain = (yield* post(server, "/tokenize", { model: ECHO, prompt: "x" })).json()
        assert.strictEqual(plain.token_strs, null)
      }))

    it.effect("detokenize rejects an invalid id with 400", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        for (const tokens of [[0], [-4], [2 ** 40], [4 * 0x200000]]) {
          const res = yield* post(server, "/detokenize", { model: ECHO, tokens })
          assert.strictEqual(res.status, 400, String(tokens))
        }
      }))

    it.effect("a prompt over max_model_len is 400 with the vLLM message", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const long = "abc ".repeat(2100)
        const res = yield* post(server, "/v1/chat/completions", { model: ECHO, messages: user(long) })
        assert.strictEqual(res.status, 400)
        assert.match(
          res.json().error.message,
          /^This model's maximum context length is 4096 tokens\. However, your request has \d+ input tokens/
        )
        const fits = yield* post(server, "/v1/chat/completions", { model: OSS, messages: user(long), max_tokens: 1 })
        assert.strictEqual(fits.status, 200)
        const tooMany = yield* post(server, "/v1/chat/completions", {
          model: ECHO,
          messages: user("x"),
          max_tokens: 5000
        })
        assert.strictEqual(tooMany.status, 400)
        assert.strictEqual(tooMany.json().error.param, "max_tokens")
      }))

    it.effect("cached_tokens counts the longest prefix seen before, in blocks of 16", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const prefix = `A unique shared system prompt ${Math.random()} `.repeat(8)
        const ask = (question: string) =>
          Effect.map(
            post(server, "/v1/chat/completions", {
              model: OSS,
              messages: [{ role: "system", content: prefix }, ...user(question)]
            }),
            (res) => res.json().usage
          )
        const first = yield* ask("one")
        assert.strictEqual(first.prompt_tokens_details.cached_tokens, 0)
        assert.strictEqual(first.prompt_tokens_details.created_cache_tokens, Math.floor(first.prompt_tokens / 16) * 16)
        const second = yield* ask("two")
        const shared = tokenCount(`<|system|>${prefix}\n<|user|>`)
        assert.strictEqual(second.prompt_tokens_details.cached_tokens, Math.floor(shared / 16) * 16)
        assert.isAbove(second.prompt_tokens_details.cached_tokens, 0)
        const third = yield* ask("one")
        assert.strictEqual(third.prompt_tokens_details.cached_tokens, Math.floor(third.prompt_tokens / 16) * 16)
      }))
  })
})

describe("tokenizer properties", () => {
  const text = FastCheck.oneof(
    FastCheck.string({ unit: "binary" }),
    FastCheck.string({ unit: "grapheme" }),
    FastCheck.array(
      FastCheck.oneof(
        FastCheck.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
        FastCheck.constantFrom("\u0301", "\u200d", "👩", "🏽", " ", "\n", "a", "é", "\ufeff", "\uffff")
      )
    ).map((parts) => parts.join(""))
  )

  it.prop("detokenize(tokenize(text)) === text", [text], ([text]) => {
    const ids = LocalServer.tokenize(text)
    assert.strictEqual(LocalServer.detokenize(ids), text)
    assert.isTrue(ids.every((id) => Number.isSafeInteger(id) && id > 0 && id < 2 ** 26))
    return true
  }, { fastCheck: { numRuns: 500 } })

  it.prop("tokenizing is deterministic and never splits a code point", [text], ([text]) => {
    const ids = LocalServer.tokenize(text)
    assert.deepStrictEqual(LocalServer.tokenize(text), ids)
    for (const id of ids) assert.isString(LocalServer.detokenize([id]))
    return true
  }, { fastCheck: { numRuns: 200 } })
})

describe("server options", () => {
  it.scopedLive("apiKeys restricts the accepted keys", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make({ apiKeys: ["good-key"] })
      const body = { model: ECHO, messages: user("x") }
      assert.strictEqual((yield* post(server, "/v1/chat/completions", body)).status, 401)
      const ok = yield* post(server, "/v1/chat/completions", body, { authorization: "Bearer good-key" })
      assert.strictEqual(ok.status, 200)
    }))

  it.scopedLive("responsesUsage native sends input/output token usage", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make({ responsesUsage: "native" })
      const body = (yield* post(server, "/v1/responses", { model: OSS, input: "Hi" })).json()
      assert.deepStrictEqual(Object.keys(body.usage), [
        "input_tokens",
        "input_tokens_details",
        "output_tokens",
        "output_tokens_details",
        "total_tokens"
      ])
      assert.strictEqual(
        body.usage.output_tokens_details.reasoning_tokens,
        tokenCount("The user said Hi. I will echo it.")
      )
    }))

  it.scopedLive("tokenDelay paces the stream chunks, and the header overrides it", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make({ tokenDelay: "15 millis" })
      const body = { model: ECHO, messages: user("x"), stream: true }
      const timed = (headers?: Record<string, string>) =>
        Effect.gen(function*() {
          const start = Date.now()
          const res = yield* post(server, "/v1/chat/completions", body, headers)
          return { ms: Date.now() - start, chunks: dataPayloads(res.text).length }
        })
      const slow = yield* timed()
      assert.isAtLeast(slow.ms, (slow.chunks - 1) * 15 - 10)
      const fast = yield* timed({ [LocalServer.TOKEN_DELAY_HEADER]: "0" })
      assert.isBelow(fast.ms, slow.ms)
      const bad = yield* post(server, "/v1/chat/completions", body, { [LocalServer.TOKEN_DELAY_HEADER]: "soon" })
      assert.strictEqual(bad.status, 400)
    }))

  it.scopedLive("the server stops when its scope closes", () =>
    Effect.gen(function*() {
      const root = yield* Effect.scoped(Effect.map(LocalServer.make(), (server) => server.root))
      const result = yield* Effect.tryPromise(() => fetch(`${root}/health`)).pipe(Effect.either)
      assert.strictEqual(result._tag, "Left")
    }))
})

layer(LocalServer.layer({ mode: "on-demand" }), { excludeTestServices: true })("on-demand", (it) => {
  it.effect("every route needs X-User-Id, including the keyless GETs", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.LocalServer
      assert.strictEqual(server.mode, "on-demand")
      for (const path of ["/v1/models", "/health", "/version"]) {
        const missing = yield* get(server, path)
        assert.strictEqual(missing.status, 400, path)
        assert.deepStrictEqual(missing.json(), {
          error: { message: "Missing X-User-Id header", type: "BadRequestError", param: "X-User-Id", code: 400 }
        })
        const invalid = yield* get(server, path, { "x-user-id": "not-a-uuid" })
        assert.strictEqual(invalid.status, 400, path)
        assert.strictEqual(invalid.json().error.param, "X-User-Id")
        assert.strictEqual((yield* get(server, path, { "x-user-id": USER_ID })).status, 200, path)
      }
    }))

  it.effect("POST routes need both the key and the user id", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.LocalServer
      const body = { model: ECHO, messages: user("x") }
      const noUser = yield* post(server, "/v1/chat/completions", body)
      assert.strictEqual(noUser.status, 400)
      const noKey = yield* request(`${server.root}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-user-id": USER_ID },
        body: JSON.stringify(body)
      })
      assert.strictEqual(noKey.status, 401)
      const ok = yield* post(server, "/v1/chat/completions", body, { "x-user-id": USER_ID })
      assert.strictEqual(ok.status, 200)
      const tokenize = yield* post(server, "/tokenize", { model: ECHO, prompt: "x" }, { "x-user-id": USER_ID })
      assert.strictEqual(tokenize.status, 200)
    }))

  it.scoped("userIds restricts the accepted ids with 401", () =>
    Effect.gen(function*() {
      const server = yield* LocalServer.make({ mode: "on-demand", userIds: [USER_ID], apiKeys: [KEY] })
      const other = yield* get(server, "/v1/models", { "x-user-id": "11111111-2222-4333-8444-555555555555" })
      assert.strictEqual(other.status, 401)
      assert.deepStrictEqual(other.json(), { error: "Unauthorized" })
      assert.strictEqual((yield* get(server, "/v1/models", { "x-user-id": USER_ID.toUpperCase() })).status, 200)
    }))
})
