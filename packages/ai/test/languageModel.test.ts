// TensormeshLanguageModel over the local server, on both surfaces: generateText, streamText, generateObject,
// tools in Chat, toolChoice on the wire, telemetry.
import { Chat, LanguageModel, Tool, Toolkit } from "@effect/ai"
import type * as Response from "@effect/ai/Response"
import { assert, describe, it, layer } from "@effect/vitest"
import { ChatStream, Tensormesh } from "@tensormesh-effect/core"
import { Chunk, Effect, Schema, Stream, Tracer } from "effect"
import { TensormeshLanguageModel } from "../src/index.js"
import { ECHO, OSS, type Recorder, recording, type Surface, surfaceLayer, surfaces, THINK } from "./support/surfaces.js"

const GetWeather = Tool.make("GetWeather", {
  description: "The weather in a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number })
})

// no description: the provider sends one anyway
const GetTime = Tool.make("GetTime", {
  parameters: { zone: Schema.String },
  success: Schema.String
})

const Tools = Toolkit.make(GetWeather, GetTime)

const handlersFor = (calls: Array<string>) =>
  Tools.toLayer({
    GetWeather: ({ city }) => Effect.sync(() => (calls.push(`GetWeather(${city})`), { city, celsius: 21 })),
    GetTime: ({ zone }) => Effect.sync(() => (calls.push(`GetTime(${zone})`), `12:00 in ${zone}`))
  })

class Person extends Schema.Class<Person>("Person")({
  name: Schema.String,
  age: Schema.Number
}) {}

const modelLayer = (name: string, config?: TensormeshLanguageModel.Config.Service) =>
  TensormeshLanguageModel.layer({ model: name, config })

const rawUsage = (model: string, prompt: string) =>
  Effect.flatMap(
    Tensormesh,
    (tm) => tm.chat.completions.create({ model, messages: [{ role: "user", content: prompt }] })
  ).pipe(
    Effect.map((completion) => completion.usage!)
  )

const types = (parts: ReadonlyArray<Response.StreamPart<any>>) => {
  const out: Array<string> = []
  for (const part of parts) if (out[out.length - 1] !== part.type) out.push(part.type)
  return out
}

for (const surface of surfaces) {
  const recorder: Recorder = { bodies: [] }
  const lastBody = () => recorder.bodies[recorder.bodies.length - 1]

  layer(surfaceLayer(surface, recording(recorder)), { excludeTestServices: true })(`${surface}`, (it) => {
    describe("generateText", () => {
      it.effect("text, finish reason and the server's usage", () =>
        Effect.gen(function*() {
          const response = yield* LanguageModel.generateText({ prompt: "hello there" }).pipe(
            Effect.provide(modelLayer(ECHO, { temperature: 0, seed: 7, extraBody: { top_k: 1 } }))
          )
          assert.strictEqual(response.text, "You said: hello there")
          assert.strictEqual(response.finishReason, "stop")
          const body = lastBody()
          assert.deepStrictEqual(body.messages, [{ role: "user", content: "hello there" }])
          assert.strictEqual(body.temperature, 0)
          assert.strictEqual(body.seed, 7)
          assert.strictEqual(body.top_k, 1)
          const usage = yield* rawUsage(ECHO, "hello there")
          assert.strictEqual(response.usage.inputTokens, usage.prompt_tokens)
          assert.strictEqual(response.usage.outputTokens, usage.completion_tokens)
          assert.strictEqual(response.usage.totalTokens, usage.total_tokens)
          // the second identical prompt hits the emulated prefix cache
          assert.strictEqual(typeof response.usage.cachedInputTokens, "number")
          const metadata = response.content.find((part) => part.type === "response-metadata")
          assert.strictEqual(metadata?.type === "response-metadata" && metadata.modelId._tag, "Some")
        }))

      it.effect("reasoning from message.reasoning and from a leaked <think> block", () =>
        Effect.gen(function*() {
          const oss = yield* LanguageModel.generateText({ prompt: "ping" }).pipe(Effect.provide(modelLayer(OSS)))
          assert.strictEqual(oss.text, "You said: ping")
          assert.strictEqual(oss.reasoningText, "The user said ping. I will echo it.")
          const leak = yield* LanguageModel.generateText({ prompt: "ping" }).pipe(Effect.provide(modelLayer(THINK)))
          assert.strictEqual(leak.text, "You said: ping")
          assert.strictEqual(leak.reasoningText, "The user said ping. I will echo it.")
          assert.deepStrictEqual(leak.content.map((part) => part.type), [
            "response-metadata",
            "reasoning",
            "text",
            "finish"
          ])
        }))

      it.effect("per-call config overrides the model's (withConfigOverride)", () =>
        Effect.gen(function*() {
          const response = yield* LanguageModel.generateText({ prompt: "one two three four" }).pipe(
            TensormeshLanguageModel.withConfigOverride({ max_tokens: 2 }),
            Effect.provide(modelLayer(ECHO, { max_tokens: 100, temperature: 0.5 }))
          )
          assert.strictEqual(response.finishReason, "length")
          assert.strictEqual(response.usage.outputTokens, 2)
          assert.strictEqual(lastBody().max_tokens, 2)
          assert.strictEqual(lastBody().temperature, 0.5)
        }))

      it.effect("a system message, assistant history with reasoning, and an image part reach the wire", () =>
        Effect.gen(function*() {
          const response = yield* LanguageModel.generateText({
            prompt: [
              { role: "system", content: "Be brief." },
              { role: "user", content: "first" },
              {
                role: "assistant",
                content: [{ type: "reasoning", text: "thinking" }, { type: "text", text: "You said: first" }]
              },
              {
                role: "user",
                content: [
                  { type: "text", text: "look" },
                  { type: "file", mediaType: "image/png", data: new Uint8Array([1, 2, 3]) },
                  { type: "file", mediaType: "image/jpeg", data: new URL("https://example.com/a.jpg") }
                ]
              }
            ]
          }).pipe(Effect.provide(modelLayer(ECHO)))
          assert.strictEqual(response.text, "You said: look<|image_url|><|image_url|>")
          assert.deepStrictEqual(lastBody().messages, [
            { role: "system", content: "Be brief." },
            { role: "user", content: "first" },
            { role: "assistant", content: "You said: first", reasoning: "thinking" },
            {
              role: "user",
              content: [
                { type: "text", text: "look" },
                { type: "image_url", image_url: { url: "data:image/png;base64,AQID" } },
                { type: "image_url", image_url: { url: "https://example.com/a.jpg" } }
              ]
            }
          ])
        }))

      it.effect("a file type the chat API cannot take is MalformedInput, before any request", () =>
        Effect.gen(function*() {
          const before = recorder.bodies.length
          const error = yield* LanguageModel.generateText({
            prompt: [{ role: "user", content: [{ type: "file", mediaType: "application/pdf", data: "JVBERi0=" }] }]
          }).pipe(Effect.provide(modelLayer(ECHO)), Effect.flip)
          assert.strictEqual(error._tag, "MalformedInput")
          assert.strictEqual(recorder.bodies.length, before)
        }))
    })

    describe("streamText", () => {
      it.effect("parts in order, text and reasoning deltas, a finish part with the server's usage", () =>
        Effect.gen(function*() {
          yield* LanguageModel.streamText({ prompt: "stream me" }).pipe(
            Stream.runDrain,
            Effect.provide(modelLayer(OSS))
          )
          const parts = Chunk.toArray(
            yield* LanguageModel.streamText({ prompt: "stream me" }).pipe(
              Stream.runCollect,
              Effect.provide(modelLayer(OSS))
            )
          )
          assert.deepStrictEqual(types(parts), [
            "response-metadata",
            "reasoning-start",
            "reasoning-delta",
            "reasoning-end",
            "text-start",
            "text-delta",
            "text-end",
            "finish"
          ])
          const text = parts.map((p) => p.type === "text-delta" ? p.delta : "").join("")
          const reasoning = parts.map((p) => p.type === "reasoning-delta" ? p.delta : "").join("")
          assert.strictEqual(text, "You said: stream me")
          assert.strictEqual(reasoning, "The user said stream me. I will echo it.")
          assert.isAbove(parts.filter((p) => p.type === "text-delta").length, 1, "several deltas")
          assert.deepStrictEqual(lastBody().stream_options, { include_usage: true })
          const finish = parts[parts.length - 1]
          assert(finish.type === "finish")
          assert.strictEqual(finish.reason, "stop")
          // the same prompt again (now in the emulated prefix cache, as it was for the second of ours)
          const server = yield* Effect.flatMap(Tensormesh, (tm) =>
            tm.chat.completions.stream({
              model: OSS,
              messages: [{ role: "user", content: "stream me" }],
              stream_options: { include_usage: true }
            }).pipe(ChatStream.accumulate))
          assert.strictEqual(finish.usage.inputTokens, server.usage!.prompt_tokens)
          assert.strictEqual(finish.usage.outputTokens, server.usage!.completion_tokens)
          assert.strictEqual(finish.usage.totalTokens, server.usage!.total_tokens)
          assert.strictEqual(finish.usage.cachedInputTokens, server.usage!.prompt_tokens_details?.cached_tokens)
          assert.isAbove(finish.usage.cachedInputTokens!, 0)
        }))

      it.effect("a leaked <think> block streams as reasoning, never as text", () =>
        Effect.gen(function*() {
          const parts = Chunk.toArray(
            yield* LanguageModel.streamText({ prompt: "hi" }).pipe(Stream.runCollect, Effect.provide(modelLayer(THINK)))
          )
          const text = parts.map((p) => p.type === "text-delta" ? p.delta : "").join("")
          const reasoning = parts.map((p) => p.type === "reasoning-delta" ? p.delta : "").join("")
          assert.strictEqual(text, "You said: hi")
          assert.strictEqual(reasoning, "The user said hi. I will echo it.")
          assert.deepStrictEqual(types(parts).slice(1, 4), ["reasoning-start", "reasoning-delta", "reasoning-end"])
        }))

      it.effect("a streamed tool call: params start, deltas, end, the call with parsed params, the result", () =>
        Effect.gen(function*() {
          const calls: Array<string> = []
          const parts = Chunk.toArray(
            yield* LanguageModel.streamText({ prompt: "Oslo", toolkit: Tools }).pipe(
              Stream.runCollect,
              Effect.provide(modelLayer(ECHO)),
              Effect.provide(handlersFor(calls))
            )
          )
          assert.deepStrictEqual(types(parts), [
            "response-metadata",
            "tool-params-start",
            "tool-params-delta",
            "tool-params-end",
            "tool-call",
            "tool-result",
            "finish"
          ])
          const call = parts.find((p) => p.type === "tool-call")
          assert(call?.type === "tool-call")
          assert.deepStrictEqual(call.params, { city: "Oslo" })
          assert.deepStrictEqual(calls, ["GetWeather(Oslo)"])
          const finish = parts.find((p) => p.type === "finish")
          assert.strictEqual(finish?.type === "finish" && finish.reason, "tool-calls")
        }))
    })

    describe("generateObject", () => {
      it.effect("JSON mode with a schema hint, decoded into a Schema.Class", () =>
        Effect.gen(function*() {
          const response = yield* LanguageModel.generateObject({
            prompt: [{ role: "system", content: "You extract people." }, { role: "user", content: "Ada" }],
            schema: Person
          }).pipe(Effect.provide(modelLayer(THINK)))
          assert.instanceOf(response.value, Person)
          assert.strictEqual(response.value.name, "You said: Ada")
          assert.strictEqual(response.value.age, 1)
          const body = lastBody()
          assert.deepStrictEqual(body.response_format, { type: "json_object" })
          assert.strictEqual(body.messages.length, 2, "the hint joins the leading system message")
          const system: string = body.messages[0].content
          assert.isTrue(system.startsWith("You extract people.\n\n"))
          const schema = JSON.parse(system.slice(system.lastIndexOf("\n") + 1))
          assert.deepStrictEqual(schema.required, ["name", "age"])
        }))

      it.effect("an answer that does not decode with the schema is MalformedOutput", () =>
        Effect.gen(function*() {
          const Digits = Schema.Struct({ code: Schema.String.pipe(Schema.pattern(/^[0-9]+$/)) })
          const error = yield* LanguageModel.generateObject({ prompt: "Ada", schema: Digits }).pipe(
            Effect.provide(modelLayer(ECHO)),
            Effect.flip
          )
          assert.strictEqual(error._tag, "MalformedOutput")
          assert.strictEqual(lastBody().messages[0].role, "system", "a system message carries the hint")
        }))
    })

    describe("tools", () => {
      it.effect("a two-tool Toolkit round trip in Chat: both handlers run, the model answers from the result", () => {
        const calls: Array<string> = []
        return Effect.gen(function*() {
          const chat = yield* Chat.empty
          const first = yield* chat.generateText({ prompt: "Paris", toolkit: Tools })
          assert.deepStrictEqual(first.toolCalls.map((c) => [c.name, c.params]), [["GetWeather", { city: "Paris" }]])
          assert.deepStrictEqual(first.toolResults.map((r) => r.result), [{ city: "Paris", celsius: 21 }])
          const second = yield* chat.generateText({ prompt: [], toolkit: Tools, toolChoice: { tool: "GetTime" } })
          assert.deepStrictEqual(second.toolCalls.map((c) => c.name), ["GetTime"])
          const third = yield* chat.generateText({ prompt: [], toolkit: Tools })
          assert.strictEqual(third.text, "The tool returned: 12:00 in Paris")
          assert.strictEqual(third.toolCalls.length, 0)
          assert.deepStrictEqual(calls, ["GetWeather(Paris)", "GetTime(Paris)"])
          // the history went back as assistant tool_calls and tool messages
          const sent = lastBody().messages
          assert.deepStrictEqual(sent.map((m: any) => m.role), ["user", "assistant", "tool", "assistant", "tool"])
          assert.notProperty(sent[1], "content", "a tool-call-only turn sends no content (null is not sent)")
          assert.deepStrictEqual(JSON.parse(sent[1].tool_calls[0].function.arguments), { city: "Paris" })
          assert.strictEqual(sent[2].tool_call_id, sent[1].tool_calls[0].id)
          assert.deepStrictEqual(JSON.parse(sent[2].content), { city: "Paris", celsius: 21 })
          assert.strictEqual(sent[4].content, "12:00 in Paris")
        }).pipe(Effect.provide(modelLayer(ECHO)), Effect.provide(handlersFor(calls)))
      })

      it.effect("tools on the wire: JSON Schema parameters, a description always", () =>
        Effect.gen(function*() {
          yield* LanguageModel.generateText({ prompt: "x", toolkit: Tools, disableToolCallResolution: true }).pipe(
            Effect.provide(modelLayer(ECHO))
          )
          const tools = lastBody().tools
          assert.deepStrictEqual(tools.map((t: any) => t.function.description), [
            "The weather in a city",
            "The GetTime tool."
          ])
          assert.deepStrictEqual(tools[0].function.parameters.required, ["city"])
          assert.strictEqual(tools[0].function.parameters.properties.city.type, "string")
        }).pipe(Effect.provide(handlersFor([]))))

      const choices: ReadonlyArray<{
        readonly name: string
        readonly model: string
        readonly toolChoice: LanguageModel.ToolChoice<"GetWeather" | "GetTime">
        readonly wire: unknown
        readonly offered: ReadonlyArray<string> | undefined
        readonly called: ReadonlyArray<string>
      }> = [
        {
          name: "auto",
          model: ECHO,
          toolChoice: "auto",
          wire: "auto",
          offered: ["GetWeather", "GetTime"],
          called: ["GetWeather"]
        },
        { name: "none", model: ECHO, toolChoice: "none", wire: "none", offered: ["GetWeather", "GetTime"], called: [] },
        {
          name: "required",
          model: ECHO,
          toolChoice: "required",
          wire: "required",
          offered: ["GetWeather", "GetTime"],
          called: ["GetWeather"]
        },
        {
          name: "one tool",
          model: ECHO,
          toolChoice: { tool: "GetTime" },
          wire: { type: "function", function: { name: "GetTime" } },
          offered: ["GetWeather", "GetTime"],
          called: ["GetTime"]
        },
        {
          name: "oneOf, required",
          model: ECHO,
          toolChoice: { oneOf: ["GetTime"], mode: "required" },
          wire: "required",
          offered: ["GetTime"],
          called: ["GetTime"]
        },
        {
          name: "one tool on an auto-only model (gpt-oss): auto with that tool only",
          model: OSS,
          toolChoice: { tool: "GetTime" },
          wire: "auto",
          offered: ["GetTime"],
          called: ["GetTime"]
        },
        {
          name: "none on an auto-only model: no tools sent",
          model: OSS,
          toolChoice: "none",
          wire: undefined,
          offered: undefined,
          called: []
        }
      ]
      for (const row of choices) {
        it.effect(`toolChoice ${row.name}`, () =>
          Effect.gen(function*() {
            const calls: Array<string> = []
            const response = yield* LanguageModel.generateText({
              prompt: "Rome",
              toolkit: Tools,
              toolChoice: row.toolChoice
            }).pipe(Effect.provide(modelLayer(row.model)), Effect.provide(handlersFor(calls)))
            const body = lastBody()
            assert.deepStrictEqual(body.tool_choice, row.wire)
            assert.deepStrictEqual(body.tools?.map((t: any) => t.function.name), row.offered)
            assert.deepStrictEqual(response.toolCalls.map((c) => c.name), row.called)
            assert.deepStrictEqual(calls.length, row.called.length)
            if (row.called.length === 0) assert.strictEqual(response.text, "You said: Rome")
          }))
      }
    })

    describe("telemetry", () => {
      it.effect("gen_ai annotations with the provider name tensormesh", () =>
        Effect.gen(function*() {
          const spans: Array<Tracer.Span> = []
          const base = yield* Effect.tracer
          const tracer = Tracer.make({
            span: (...args) => {
              const span = base.span(...args)
              spans.push(span)
              return span
            },
            context: base.context
          })
          yield* LanguageModel.generateText({ prompt: "traced" }).pipe(
            Effect.provide(modelLayer(ECHO, { temperature: 0.25 })),
            Effect.withTracer(tracer)
          )
          const span = spans.find((s) => s.name === "LanguageModel.generateText")
          assert(span !== undefined && "attributes" in span)
          const attributes = span.attributes as ReadonlyMap<string, unknown>
          assert.strictEqual(attributes.get("gen_ai.system"), "tensormesh")
          assert.strictEqual(attributes.get("gen_ai.operation.name"), "chat")
          assert.strictEqual(attributes.get("gen_ai.request.model"), ECHO)
          assert.strictEqual(attributes.get("gen_ai.request.temperature"), 0.25)
          assert.strictEqual(attributes.get("gen_ai.response.model"), ECHO)
          assert.deepStrictEqual(attributes.get("gen_ai.response.finish_reasons"), ["stop"])
          assert.isAbove(attributes.get("gen_ai.usage.input_tokens") as number, 0)
          assert.isAbove(attributes.get("gen_ai.usage.output_tokens") as number, 0)
        }))
    })
  })

  describe(`${surface}: model()`, () => {
    it.effect(
      "model(name, config) is an AiModel providing LanguageModel and the provider name",
      () =>
        Effect.gen(function*() {
          const text = yield* LanguageModel.generateText({ prompt: "via model" }).pipe(
            Effect.map((r) => r.text),
            Effect.provide(TensormeshLanguageModel.model(ECHO, { temperature: 0 }))
          )
          assert.strictEqual(text, "You said: via model")
          assert.strictEqual(TensormeshLanguageModel.model(ECHO).provider, "tensormesh")
        }).pipe(Effect.provide(surfaceLayer(surface as Surface))),
      { timeout: 30_000 }
    )
  })
}
