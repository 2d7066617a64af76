// Tool loops of three tool turns over real loopback sockets, on both surfaces: each turn sends back what the
// previous one returned (a completion's message, an accumulated stream, Responses output items) and the tool's
// reply; the local model reads the reply (the next call's arguments, and the final answer, come from it).
import { assert, describe, it } from "@effect/vitest"
import type { ChatCompletion, InferenceClient, Responses } from "@tensormesh-effect/core"
import { ChatStream, OnDemand, ResponseStream, Serverless } from "@tensormesh-effect/core"
import { Effect, Layer } from "effect"
import * as LocalServer from "../src/LocalServer.js"
import { post } from "./support/http.js"

const lookup = {
  name: "lookup",
  description: "Look a place up.",
  parameters: { type: "object", properties: { place: { type: "string" } }, required: ["place"] }
}

const surfaces = [
  [
    "serverless",
    () => Effect.flatMap(Layer.build(LocalServer.serverlessLayer()), (c) => Effect.provide(Serverless, c))
  ],
  ["on-demand", () => Effect.flatMap(Layer.build(LocalServer.onDemandLayer()), (c) => Effect.provide(OnDemand, c))]
] as const

/** The tool: a chained lookup whose reply names the next place to look up. */
const runTool = (args: string, turn: number): string => {
  const { place } = JSON.parse(args) as { place: string }
  return `${place}>${turn}`
}

describe.each(surfaces)("tool loops over the local server (%s)", (_, client) => {
  for (const model of ["openai/gpt-oss-20b", "tensormesh/reasoning-content", "tensormesh/think-leak"]) {
    it.scopedLive(`chat: three tool turns with ${model}, returned messages sent back as they are`, () =>
      Effect.gen(function*() {
        const tm: InferenceClient = yield* client()
        const tools = [{ type: "function" as const, function: lookup }]
        const messages: Array<ChatCompletion.ChatMessageParam> = [{ role: "user", content: "Oslo" }]
        const prompts: Array<number> = []
        const args: Array<string> = []
        for (let turn = 1; turn <= 3; turn++) {
          const request = { model, messages, tools, tool_choice: turn === 1 ? "auto" as const : "required" as const }
          // the second turn streams: the accumulated message is sent back like a created one
          const completion = turn === 2
            ? yield* ChatStream.accumulate(tm.chat.completions.stream({ ...request, stream: true }))
            : yield* tm.chat.completions.create(request)
          const choice = completion.choices[0]
          assert.strictEqual(choice.finish_reason, "tool_calls")
          assert.strictEqual(choice.message.content, null)
          const call = choice.message.tool_calls![0]
          args.push(call.function.arguments)
          prompts.push(completion.usage!.prompt_tokens)
          messages.push(choice.message)
          const reply = runTool(call.function.arguments, turn)
          messages.push({
            role: "tool",
            tool_call_id: call.id,
            content: turn === 3 ? [{ type: "text", text: reply }] : reply
          })
        }
        const final = yield* tm.chat.completions.create({ model, messages, tools })
        assert.strictEqual(final.choices[0].finish_reason, "stop")
        assert.strictEqual(final.choices[0].message.content, "The tool returned: Oslo>1>2>3")
        // each call's arguments come from the previous tool reply: the server read what was sent back
        assert.deepStrictEqual(args, [
          JSON.stringify({ place: "Oslo" }),
          JSON.stringify({ place: "Oslo>1" }),
          JSON.stringify({ place: "Oslo>1>2" })
        ])
        prompts.push(final.usage!.prompt_tokens)
        for (let i = 1; i < prompts.length; i++) assert.isAbove(prompts[i], prompts[i - 1])
      }))
  }

  it.scopedLive("responses: three tool turns, output items (function_call with id and status, reasoning) sent back", () =>
    Effect.gen(function*() {
      const tm: InferenceClient = yield* client()
      const tools = [{ type: "function" as const, ...lookup, strict: false }]
      const input: Array<Responses.ResponseInputItem> = [{ role: "user", content: "Lima" }]
      for (let turn = 1; turn <= 3; turn++) {
        const request = {
          model: "openai/gpt-oss-20b",
          input,
          tools,
          tool_choice: turn === 1 ? "auto" as const : "required" as const
        }
        const response = turn === 2
          ? yield* ResponseStream.accumulate(tm.responses.stream({ ...request, stream: true }))
          : yield* tm.responses.create(request)
        assert.deepStrictEqual(response.output.map((item) => item.type), ["reasoning", "function_call"])
        const call = response.output[1] as typeof Responses.ResponseFunctionCallItem.Type
        assert.isString(call.id)
        assert.strictEqual(call.status, "completed")
        input.push(...response.output)
        input.push({ type: "function_call_output", call_id: call.call_id, output: runTool(call.arguments, turn) })
      }
      const final = yield* tm.responses.create({ model: "openai/gpt-oss-20b", input, tools })
      assert.strictEqual(final.output_text, "The tool returned: Lima>1>2>3")
      // the answer itself goes back too: a message output item is valid input
      input.push(...final.output, { role: "user", content: "Thanks." })
      const thanks = yield* tm.responses.create({ model: "openai/gpt-oss-20b", input })
      assert.strictEqual(thanks.output_text, "You said: Thanks.")
    }))
})

describe("the local server takes a returned message verbatim (as openai-node sends it back)", () => {
  it.scopedLive("every null and output-only key of the returned message, and a tool reply in parts", () =>
    Effect.gen(function*() {
      const server = yield* Effect.flatMap(
        Layer.build(LocalServer.layer()),
        (c) => Effect.provide(LocalServer.LocalServer, c)
      )
      const tools = [{ type: "function", function: lookup }]
      const first = (yield* post(server, "/v1/chat/completions", {
        model: "openai/gpt-oss-20b",
        messages: [{ role: "user", content: "Quito" }],
        tools
      })).json()
      const returned = first.choices[0].message
      assert.includeMembers(Object.keys(returned), ["refusal", "annotations", "audio", "function_call", "tool_calls"])
      const next = yield* post(server, "/v1/chat/completions", {
        model: "openai/gpt-oss-20b",
        messages: [
          { role: "user", content: "Quito" },
          { ...returned, reasoning_content: returned.reasoning },
          { role: "tool", tool_call_id: returned.tool_calls[0].id, content: [{ type: "text", text: "9C" }] }
        ],
        tools
      })
      assert.strictEqual(next.status, 200)
      assert.strictEqual(next.json().choices[0].message.content, "The tool returned: 9C")
    }))
})
