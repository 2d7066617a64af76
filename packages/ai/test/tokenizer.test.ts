// TensormeshTokenizer over the local server, on both surfaces: counts equal the server's usage.prompt_tokens, and
// truncate keeps the newest messages that fit.
import { LanguageModel, Prompt, Tokenizer } from "@effect/ai"
import { assert, describe, layer } from "@effect/vitest"
import * as LocalServer from "@tensormesh-effect/node/LocalServer"
import { Effect, Layer } from "effect"
import { TensormeshLanguageModel, TensormeshTokenizer } from "../src/index.js"
import { ECHO, fault, OSS, surfaceLayer, surfaces } from "./support/surfaces.js"

const prompts: ReadonlyArray<{ readonly name: string; readonly prompt: Prompt.RawInput }> = [
  { name: "one user message", prompt: "How many tokens is this?" },
  {
    name: "system, history with reasoning, tool call and result, an image",
    prompt: [
      { role: "system", content: "You are terse." },
      { role: "user", content: "weather in Oslo" },
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "I should call the tool." },
          { type: "tool-call", id: "call-1", name: "GetWeather", params: { city: "Oslo" } }
        ]
      },
      {
        role: "tool",
        content: [{
          type: "tool-result",
          id: "call-1",
          name: "GetWeather",
          isFailure: false,
          result: { c: 3 },
          providerExecuted: false
        }]
      },
      {
        role: "user",
        content: [{ type: "text", text: "and this?" }, { type: "file", mediaType: "image/png", data: "AQID" }]
      }
    ]
  }
]

for (const surface of surfaces) {
  for (const model of [ECHO, OSS]) {
    const models = Layer.mergeAll(
      TensormeshTokenizer.layer({ model }),
      TensormeshLanguageModel.layer({ model })
    )
    layer(Layer.provideMerge(models, surfaceLayer(surface)), { excludeTestServices: true })(
      `${surface}: ${model}`,
      (it) => {
        describe("tokenize", () => {
          for (const { name, prompt } of prompts) {
            it.effect(`${name}: as many tokens as the server's usage.prompt_tokens`, () =>
              Effect.gen(function*() {
                const tokens = yield* (yield* Tokenizer.Tokenizer).tokenize(prompt)
                const response = yield* LanguageModel.generateText({ prompt })
                assert.isAbove(tokens.length, 0)
                assert.strictEqual(tokens.length, response.usage.inputTokens)
                assert.isTrue(tokens.every((t) => Number.isInteger(t)))
              }))
          }

          it.effect("the empty prompt has no tokens", () =>
            Effect.gen(function*() {
              assert.deepStrictEqual(yield* (yield* Tokenizer.Tokenizer).tokenize(Prompt.empty), [])
            }))
        })

        describe("truncate", () => {
          it.effect("keeps the newest messages within the budget", () =>
            Effect.gen(function*() {
              const messages = [
                { role: "user" as const, content: "the first message, which is rather long and wordy" },
                { role: "assistant" as const, content: "a reply" },
                { role: "user" as const, content: "the last one" }
              ]
              const last = yield* (yield* Tokenizer.Tokenizer).tokenize([messages[2]!])
              const lastTwo = (yield* (yield* Tokenizer.Tokenizer).tokenize([messages[1]!])).length + last.length
              const truncated = yield* (yield* Tokenizer.Tokenizer).truncate(messages, lastTwo)
              assert.deepStrictEqual(truncated.content.map((m) => m.role), ["assistant", "user"])
              const one = yield* (yield* Tokenizer.Tokenizer).truncate(messages, lastTwo - 1)
              assert.deepStrictEqual(one.content.map((m) => m.role), ["user"])
              assert.strictEqual(LocalServer.detokenize(last)?.includes("the last one"), true)
            }))
        })

        describe("errors", () => {
          it.effect("a failed /tokenize is an AiError", () =>
            Effect.gen(function*() {
              const error = yield* Effect.flip(
                Effect.flatMap(
                  TensormeshTokenizer.make({ model, callOptions: { maxRetries: 0, headers: fault("status=503") } }),
                  (tokenizer) => tokenizer.tokenize("x")
                )
              )
              assert.strictEqual(error._tag, "HttpResponseError")
              assert(error._tag === "HttpResponseError")
              assert.strictEqual(error.response.status, 503)
              assert.strictEqual(error.request.url, "/tokenize")
            }))
        })
      }
    )
  }
}
