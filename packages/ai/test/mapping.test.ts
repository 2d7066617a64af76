// The chunk → stream part and completion → part mappings on wire shapes the local server does not produce:
// tool-call deltas without index, several calls, malformed arguments, open finish reasons.
import { assert, describe, it } from "@effect/vitest"
import type { ChatCompletion } from "@tensormesh-effect/core"
import { Effect } from "effect"
import { completionParts, finishReason, StreamState, usageOf } from "../src/internal/response.js"

const chunk = (
  delta: ChatCompletion.ChatCompletionChunk["choices"][number]["delta"],
  finish: string | null = null
): ChatCompletion.ChatCompletionChunk => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "m",
  choices: [{ index: 0, delta, finish_reason: finish }]
})

const usage = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 }

const runState = (chunks: ReadonlyArray<ChatCompletion.ChatCompletionChunk>) =>
  Effect.gen(function*() {
    const state = new StreamState()
    const parts = chunks.flatMap((c) => state.push(c))
    return [...parts, ...(yield* state.end())]
  })

describe("stream parts", () => {
  it.effect("tool-call deltas without index: a new id starts a call, later fragments go to the last one", () =>
    Effect.gen(function*() {
      const parts = yield* runState([
        chunk({ role: "assistant", content: "" }),
        chunk({ tool_calls: [{ id: "a", type: "function", function: { name: "f", arguments: "{\"x\":" } }] }),
        chunk({ tool_calls: [{ function: { arguments: "1}" } }] }),
        chunk({ tool_calls: [{ id: "b", function: { name: "g", arguments: "" } }] }),
        chunk({}, "tool_calls"),
        { ...chunk({}), choices: [], usage }
      ])
      assert.deepStrictEqual(parts.map((p) => p.type), [
        "response-metadata",
        "tool-params-start",
        "tool-params-delta",
        "tool-params-delta",
        "tool-params-start",
        "tool-params-end",
        "tool-call",
        "tool-params-end",
        "tool-call",
        "finish"
      ])
      const calls = parts.filter((p) => p.type === "tool-call")
      assert.deepStrictEqual(calls.map((c) => c.type === "tool-call" && [c.id, c.name, c.params]), [
        ["a", "f", { x: 1 }],
        ["b", "g", {}]
      ])
      const finish = parts[parts.length - 1]
      assert(finish.type === "finish")
      assert.strictEqual(finish.reason, "tool-calls")
      assert.deepStrictEqual(finish.usage, { inputTokens: 5, outputTokens: 7, totalTokens: 12 })
    }))

  it.effect("arguments that are not JSON are MalformedOutput, naming the tool", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(runState([
        chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "f", arguments: "{oops" } }] }),
        chunk({}, "tool_calls")
      ]))
      assert.strictEqual(error._tag, "MalformedOutput")
      assert.include(error.description ?? "", "'f'")
    }))

  it.effect("text after reasoning ends the reasoning block; reasoning after text opens a new one", () =>
    Effect.gen(function*() {
      const parts = yield* runState([
        chunk({ reasoning: "r1" }),
        chunk({ reasoning_content: "r2", content: "t1" }),
        chunk({ reasoning: "r3" }),
        chunk({}, "stop")
      ])
      assert.deepStrictEqual(parts.map((p) => p.type === "finish" ? p.reason : [p.type, "id" in p ? p.id : ""]), [
        ["response-metadata", "chatcmpl-1"],
        ["reasoning-start", "reasoning-0"],
        ["reasoning-delta", "reasoning-0"],
        ["reasoning-delta", "reasoning-0"],
        ["reasoning-end", "reasoning-0"],
        ["text-start", "text-1"],
        ["text-delta", "text-1"],
        ["text-end", "text-1"],
        ["reasoning-start", "reasoning-2"],
        ["reasoning-delta", "reasoning-2"],
        ["reasoning-end", "reasoning-2"],
        "stop"
      ])
    }))
})

describe("completion parts", () => {
  it.effect("reasoning_content, a named-tool call with finish stop (tool-calls), cached and reasoning tokens", () =>
    Effect.gen(function*() {
      const parts = yield* completionParts({
        id: "c",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{
          index: 0,
          message: {
            role: "assistant",
            content: null,
            reasoning_content: "hm",
            tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: "{\"a\":[1]}" } }]
          },
          finish_reason: "stop"
        }],
        usage: {
          ...usage,
          prompt_tokens_details: { cached_tokens: 3, created_cache_tokens: 2 },
          completion_tokens_details: { reasoning_tokens: 4 }
        }
      })
      assert.deepStrictEqual(parts.map((p) => p.type), ["response-metadata", "reasoning", "tool-call", "finish"])
      const finish = parts[3]
      assert(finish.type === "finish")
      assert.strictEqual(finish.reason, "tool-calls")
      assert.deepStrictEqual(finish.usage, {
        inputTokens: 5,
        outputTokens: 7,
        totalTokens: 12,
        cachedInputTokens: 3,
        reasoningTokens: 4
      })
      assert.deepStrictEqual(finish.metadata, { tensormesh: { finishReason: "stop", createdCacheTokens: 2 } })
    }))

  it("finish reasons: the open set maps to the library's", () => {
    assert.deepStrictEqual(
      ["stop", "length", "tool_calls", "content_filter", "abort", "repetition", null].map((r) =>
        finishReason(r, false)
      ),
      ["stop", "length", "tool-calls", "content-filter", "other", "other", "unknown"]
    )
    assert.deepStrictEqual(usageOf(null), { inputTokens: undefined, outputTokens: undefined, totalTokens: undefined })
  })
})
