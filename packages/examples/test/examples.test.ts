// Every example runs against the embedded local server, and prints what a user would expect to see.
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import type { Console } from "effect"
import { Effect } from "effect"
import { Layer } from "effect"
import { local } from "../src/Environment.js"
import { examples } from "../src/examples.js"
import { runExamples, select } from "../src/runExamples.js"

const capture = (names: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const console: Console.Console = {
      ...(yield* Effect.console),
      log: (...args: ReadonlyArray<unknown>) => Effect.sync(() => void lines.push(args.map(String).join(" ")))
    }
    yield* Effect.flatMap(select(names), runExamples).pipe(
      Effect.provide(local.pipe(Layer.provideMerge(NodeHttpClient.layerUndici))),
      Effect.withConsole(console)
    )
    return lines.join("\n")
  })

describe("examples against the local server", () => {
  it.live("the first line says the local server is used", () =>
    Effect.gen(function*() {
      const out = yield* capture(["models"])
      assert.match(
        out.split("\n")[0],
        /^Running against the embedded local Tensormesh server at http:\/\/127\.0\.0\.1:\d+\/v1/
      )
    }))

  const expectations: Record<string, ReadonlyArray<string | RegExp>> = {
    "serverless-chat": ["content: You said: Say hello.", /usage: \d+ prompt \+ \d+ completion tokens/],
    "models": ["first model: tensormesh/echo", /all models: .*openai\/gpt-oss-20b/],
    "text-completions": [/text: ".*Reply with ok\."/],
    "responses": ["output_text: You said: Say hello.", "output items: reasoning, message", /usage: \d+ in, \d+ out/],
    "tokenize": [/tokens: \[\d+(, \d+)*\] \(count \d+, max_model_len \d+\)/, "detokenized: \"Hello!\""],
    "health-version": ["health: ok", /version: \S+/],
    "on-demand-chat": ["content: You said: Say hello."],
    "on-demand-utilities": ["first model: tensormesh/echo", "response: You said: Say hello.", /tokens: \[\d+/],
    "streaming": [
      "text: You said: Stream a short reply.",
      "accumulated content: You said: Stream a short reply.",
      /accumulated reasoning: The user said Stream a short reply/
    ],
    "raw-sse-lines": [
      /completions: HTTP 200 text\/event-stream/,
      "  data: [DONE]",
      "responses: HTTP 200",
      /event: response\.output_text\.delta \(×\d+\)/,
      "  event: response.completed"
    ],
    "tool-calling": [
      "content: null",
      /tool call: lookup_weather\(\{"city":".*"\}\)/,
      "finish_reason: tool_calls",
      /answer: The tool returned: 31°C and humid in .*Hanoi/
    ],
    "json-mode": [/content: \{"answer":/, /parses as JSON: \{/],
    "raw-response": [
      "status: 200, content-type: application/json",
      /json: \{"id":"chatcmpl-/,
      "parsed content: You said: Say hello."
    ],
    "raw-streaming-async": [/HTTP 200: reading lines in fiber \d+/, /data lines read: \d+/],
    "swap-surfaces": ["serverless: You said: Say hello.", "on-demand: You said: Say hello."],
    "error-handling": [
      /AuthError: MissingApiKey: POST \/chat\/completions needs an inference API key/,
      /ValidationError: NotFound \(HTTP 404\): The model `no-such\/model` does not exist\./,
      /ValidationError: InvalidRequest: .*json_schema is not supported/,
      "UpstreamError/ConnectionRefused (retryable: true)"
    ],
    "open-stream": [
      "opened: HTTP 2xx, reading the body",
      "text: You said: Stream a short reply.",
      "rejected before any byte: temperature",
      "proxy status: 400"
    ],
    "test-layer": [
      "streamed from the fake: fake answer to 1 message(s)",
      "the fake validates like production: ValidationError at top_p",
      "a fake failure: RateLimited (HTTP 429): a test RateLimited"
    ],
    "observability": [
      /^create: \d+ prompt tokens, 0 from the cache$/m,
      /^stream: \d+ prompt tokens, [1-9]\d* from the cache$/m,
      /^cost: 0\.\d{8}, saved by the cache: 0\.\d{8}$/m
    ],
    "effect-ai": [
      "generateText: You said: Say hello.",
      /usage: \d+ input \+ \d+ output tokens/,
      /streamText: You said: Stream a short reply\. \(finish: stop, \d+ input \+ \d+ output tokens\)/,
      /generateObject: Person \{ name: "You said: Extract the person: Ada Lovelace, aged 36\.", age: 1 \}/,
      /tool call: GetWeather\(\{"city":".*Hanoi\?"\}\)/,
      /tool result: \{"city":".*","forecast":"sunny","celsius":31\}/,
      /answer: The tool returned: \{"city":".*","forecast":"sunny","celsius":31\}/
    ]
  }

  it("every example has expectations", () => {
    assert.deepStrictEqual(examples.map((e) => e.name).sort(), Object.keys(expectations).sort())
  })

  for (const example of examples) {
    it.live(example.name, () =>
      Effect.gen(function*() {
        const out = yield* capture([example.name])
        assert.include(out, `== ${example.name}: ${example.title}`)
        for (const expected of expectations[example.name]) {
          if (typeof expected === "string") assert.include(out.split("\n"), expected, out)
          else assert.match(out, expected)
        }
      }))
  }

  it.effect("an unknown example name fails with the list of names", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(select(["nope"]))
      assert.include(error.message, "unknown example nope")
      assert.include(error.message, "serverless-chat")
    }))
})
