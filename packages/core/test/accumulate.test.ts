// Property: for a generated completion, accumulating the stream of its chunks (cut as vLLM cuts them) gives what
// the non-streaming call decodes, field by field — through the public API, over a mocked transport.
import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, Redacted } from "effect"
import { ChatStream, CompletionStream, Serverless, ServerlessLayer } from "../src/index.js"
import type { InferenceClient } from "../src/InferenceClient.js"
import { data, json, mockTransport, sse } from "./support/mock.js"

const base = { id: "chatcmpl-p", created: 1767225600, model: "m" }

/** `text` cut at `cuts` (positions, any order), as consecutive pieces. */
const piecesOf = (text: string, cuts: ReadonlyArray<number>): Array<string> => {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
  const pieces: Array<string> = []
  let from = 0
  for (const cut of at) {
    if (cut > from) pieces.push(text.slice(from, cut))
    from = Math.max(from, cut)
  }
  if (from < text.length) pieces.push(text.slice(from))
  return pieces
}

/** `list` cut into `n` consecutive groups (some possibly empty). */
const groupsOf = <A>(list: ReadonlyArray<A>, n: number): Array<Array<A>> =>
  Array.from(
    { length: n },
    (_, i) => list.slice(Math.floor((i * list.length) / n), Math.floor(((i + 1) * list.length) / n))
  )

const text = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.constantFrom("", "<think>plan</think>Paris.", "a <think>b", "</think>x", "Hi <think>x</think> there")
)
const logprob = fc.record({
  token: fc.string({ maxLength: 4 }),
  logprob: fc.double({ min: -20, max: 0, noNaN: true }),
  bytes: fc.constant(null),
  top_logprobs: fc.constant([])
})

const chatChoice = fc.record({
  content: text,
  // a stream cannot say "reasoning: \"\"" (no delta carries it), so generated reasoning is null or non-empty
  reasoning: fc.option(fc.string({ minLength: 1, maxLength: 16 }), { nil: null }),
  refusal: fc.option(fc.string({ minLength: 1, maxLength: 16 }), { nil: null }),
  calls: fc.array(
    fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }), arguments: fc.string({ maxLength: 16 }) }),
    { maxLength: 2 }
  ),
  finish_reason: fc.constantFrom("stop", "length", "tool_calls", "abort"),
  stop_reason: fc.option(fc.oneof(fc.string({ minLength: 1, maxLength: 4 }), fc.nat(50000)), { nil: null }),
  logprobs: fc.option(
    fc.record({
      content: fc.option(fc.array(logprob, { maxLength: 6 }), { nil: null }),
      refusal: fc.option(fc.array(logprob, { maxLength: 3 }), { nil: null })
    }),
    { nil: null }
  ),
  cuts: fc.array(fc.nat(40), { maxLength: 5 })
})

type ChatChoice = typeof chatChoice extends fc.Arbitrary<infer A> ? A : never

/** The non-streaming body: `content` null when the turn produced only tool calls, a refusal or reasoning (vLLM). */
const chatBody = (choices: ReadonlyArray<ChatChoice>) => ({
  ...base,
  object: "chat.completion",
  choices: choices.map((c, index) => ({
    index,
    message: {
      role: "assistant",
      content: c.content === "" && (c.calls.length > 0 || c.refusal !== null || c.reasoning !== null)
        ? null
        : c.content,
      reasoning: c.reasoning,
      tool_calls: c.calls.map((call, i) => ({ id: `call_${index}_${i}`, type: "function", function: call })),
      refusal: c.refusal
    },
    finish_reason: c.finish_reason,
    stop_reason: c.stop_reason,
    logprobs: c.logprobs
  })),
  usage: { prompt_tokens: 7, completion_tokens: 11, total_tokens: 18 }
})

/** The same completion as vLLM streams it: a role chunk, deltas of each kind, a finish chunk, a usage chunk. */
const chatChunks = (choices: ReadonlyArray<ChatChoice>): Array<string> => {
  const frames: Array<string> = []
  const push = (index: number, delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    frames.push(data({
      ...base,
      object: "chat.completion.chunk",
      choices: [{ index, delta, logprobs: null, finish_reason: null, ...extra }]
    }))
  choices.forEach((c, index) => {
    push(index, { role: "assistant", content: "" })
    for (const piece of piecesOf(c.reasoning ?? "", c.cuts)) push(index, { reasoning: piece })
    const kinds = [["content", c.content], ["refusal", c.refusal ?? ""]] as const
    for (const [kind, value] of kinds) {
      const pieces = piecesOf(value, c.cuts)
      const list = c.logprobs?.[kind] ?? null
      const groups = list === null ? undefined : groupsOf(list, Math.max(1, pieces.length))
      const logprobs = (i: number) =>
        c.logprobs === null
          ? null
          : {
            content: kind === "content" && groups ? groups[i] : null,
            refusal: kind === "refusal" && groups ? groups[i] : null
          }
      pieces.forEach((piece, i) => push(index, { [kind]: piece }, { logprobs: logprobs(i) }))
      if (pieces.length === 0 && groups !== undefined) push(index, {}, { logprobs: logprobs(0) })
    }
    c.calls.forEach((call, i) => {
      push(index, {
        tool_calls: [{
          index: i,
          id: `call_${index}_${i}`,
          type: "function",
          function: { name: call.name, arguments: "" }
        }]
      })
      for (const piece of piecesOf(call.arguments, c.cuts)) {
        push(index, { tool_calls: [{ index: i, function: { arguments: piece } }] })
      }
    })
    push(index, {}, {
      finish_reason: c.finish_reason,
      stop_reason: c.stop_reason,
      logprobs: c.logprobs === null ? null : { content: null, refusal: null }
    })
  })
  frames.push(data({
    ...base,
    object: "chat.completion.chunk",
    choices: [],
    usage: { prompt_tokens: 7, completion_tokens: 11, total_tokens: 18 }
  }))
  frames.push("data: [DONE]\n\n")
  return frames
}

const textChoice = fc.record({
  text: fc.string({ maxLength: 24 }),
  finish_reason: fc.constantFrom("stop", "length"),
  stop_reason: fc.option(fc.oneof(fc.string({ minLength: 1, maxLength: 4 }), fc.nat(50000)), { nil: null }),
  tokens: fc.option(
    fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.double({ min: -20, max: 0, noNaN: true })), { maxLength: 6 }),
    { nil: null }
  ),
  cuts: fc.array(fc.nat(40), { maxLength: 5 })
})

type TextChoice = typeof textChoice extends fc.Arbitrary<infer A> ? A : never

const logprobsOf = (tokens: ReadonlyArray<readonly [string, number]>, offset = 0) => ({
  text_offset: tokens.map((_, i) => offset + i),
  token_logprobs: tokens.map(([, lp]) => lp),
  tokens: tokens.map(([t]) => t),
  top_logprobs: tokens.map(([t, lp]) => ({ [t]: lp }))
})

const textBody = (choices: ReadonlyArray<TextChoice>) => ({
  ...base,
  object: "text_completion",
  choices: choices.map((c, index) => ({
    index,
    text: c.text,
    finish_reason: c.finish_reason,
    stop_reason: c.stop_reason,
    logprobs: c.tokens === null ? null : logprobsOf(c.tokens)
  })),
  usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 }
})

const textChunks = (choices: ReadonlyArray<TextChoice>): Array<string> => {
  const frames: Array<string> = []
  const push = (choice: Record<string, unknown>) =>
    frames.push(data({ ...base, object: "text_completion", choices: [choice], usage: null }))
  choices.forEach((c, index) => {
    const pieces = piecesOf(c.text, c.cuts)
    const groups = c.tokens === null ? undefined : groupsOf(c.tokens, pieces.length + 1)
    let offset = 0
    const logprobs = (i: number) => {
      if (groups === undefined) return null
      const lp = logprobsOf(groups[i], offset)
      offset += groups[i].length
      return lp
    }
    pieces.forEach((piece, i) =>
      push({ index, text: piece, logprobs: logprobs(i), finish_reason: null, stop_reason: null })
    )
    push({
      index,
      text: "",
      logprobs: logprobs(pieces.length),
      finish_reason: c.finish_reason,
      stop_reason: c.stop_reason
    })
  })
  frames.push(
    data({
      ...base,
      object: "text_completion",
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 }
    })
  )
  frames.push("data: [DONE]\n\n")
  return frames
}

const property = <C>(
  arbitrary: fc.Arbitrary<C>,
  body: (choices: ReadonlyArray<C>) => unknown,
  chunks: (choices: ReadonlyArray<C>) => Array<string>,
  compare: (tm: InferenceClient) => Effect.Effect<readonly [unknown, unknown], unknown>
) =>
  Effect.promise(() =>
    fc.assert(
      fc.asyncProperty(fc.array(arbitrary, { minLength: 1, maxLength: 3 }), async (choices) => {
        const mock = mockTransport((request) =>
          request.json.stream === true ? sse(chunks(choices)) : json(body(choices))
        )
        const layer = ServerlessLayer({ apiKey: Redacted.make("ak-x") }).pipe(Layer.provide(mock.layer))
        const [streamed, created] = await Effect.runPromise(Effect.provide(Effect.flatMap(Serverless, compare), layer))
        assert.deepStrictEqual(streamed, created)
      }),
      { numRuns: 100 }
    )
  )

describe("accumulate equals the non-streaming decode", () => {
  const chat = { model: "m", messages: [{ role: "user" as const, content: "x" }] }

  it.live("chat completions: content (null when empty), reasoning, refusal, tool calls, logprobs, reasons, usage", () =>
    property(
      chatChoice,
      chatBody,
      chatChunks,
      (tm) => Effect.all([ChatStream.accumulate(tm.chat.completions.stream(chat)), tm.chat.completions.create(chat)])
    ))

  it.live("text completions: text, logprobs lists, reasons, usage", () =>
    property(textChoice, textBody, textChunks, (tm) =>
      Effect.all([
        CompletionStream.accumulate(tm.completions.stream({ model: "m", prompt: "x" })),
        tm.completions.create({ model: "m", prompt: "x" })
      ])))

  it.live("the generator can fail: a dropped refusal delta is noticed", () =>
    Effect.gen(function*() {
      const choice: ChatChoice = {
        content: "",
        reasoning: null,
        refusal: "No.",
        calls: [],
        finish_reason: "stop",
        stop_reason: null,
        logprobs: null,
        cuts: []
      }
      const frames = chatChunks([choice]).filter((frame) => !frame.includes("\"refusal\":\"No.\""))
      const mock = mockTransport((request) => request.json.stream === true ? sse(frames) : json(chatBody([choice])))
      const layer = ServerlessLayer({ apiKey: Redacted.make("ak-x") }).pipe(Layer.provide(mock.layer))
      const [streamed, created] = yield* Effect.provide(
        Effect.flatMap(Serverless, (tm) =>
          Effect.all([ChatStream.accumulate(tm.chat.completions.stream(chat)), tm.chat.completions.create(chat)])),
        layer
      )
      assert.notDeepEqual(streamed, created)
      assert.strictEqual(created.choices[0].message.content, null)
      assert.strictEqual(streamed.choices[0].message.content, "")
    }))
})
