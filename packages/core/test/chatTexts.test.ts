// `ChatTexts` (what `ChatStream.textDeltas` and `reasoningDeltas` use) against `ChatPieces` filtered by kind: the
// same texts with the same boundaries, on generated streams with <think> tags split anywhere.
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import type { ChatCompletionChunk } from "../src/ChatCompletion.js"
import * as ChatStream from "../src/ChatStream.js"
import { ChatPieces, ChatTexts } from "../src/internal/chat.js"
import type { ThinkPiece } from "../src/internal/think.js"

const prng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}

const chunk = (delta: Record<string, unknown>, index = 0): ChatCompletionChunk => ({
  id: "c",
  object: "chat.completion.chunk",
  created: 1,
  model: "m",
  choices: [{ index, delta }]
})

/** A stream of deltas cut at random points out of text with think blocks, stray tags and whitespace. */
const generate = (random: () => number): Array<ChatCompletionChunk> => {
  const parts = ["Hello", " ", "<think>", "hm, ", "</think>", "\n  ", "world", "<", "think", ">", "</thi", "nk>", "<b>"]
  let text = ""
  for (let i = 0; i < 12; i++) text += parts[Math.floor(random() * parts.length)]
  const chunks: Array<ChatCompletionChunk> = [chunk({ role: "assistant", content: "" })]
  for (let pos = 0; pos < text.length;) {
    const n = 1 + Math.floor(random() * 6)
    const delta: Record<string, unknown> = { content: text.slice(pos, pos + n) }
    if (random() < 0.1) delta.reasoning = "r"
    if (random() < 0.05) delta.reasoning_content = "rc"
    chunks.push(chunk(delta, random() < 0.05 ? 1 : 0))
    pos += n
  }
  chunks.push({ ...chunk({}), choices: [] })
  return chunks
}

const viaPieces = (chunks: ReadonlyArray<ChatCompletionChunk>, kind: ThinkPiece["kind"]) => {
  const state = new ChatPieces()
  const out: Array<ThinkPiece> = []
  for (const c of chunks) state.push(c, out)
  state.end(out)
  return out.filter((piece) => piece.kind === kind).map((piece) => piece.text)
}

const viaTexts = (chunks: ReadonlyArray<ChatCompletionChunk>, kind: ThinkPiece["kind"]) => {
  const state = new ChatTexts(kind)
  const out: Array<string> = []
  for (const c of chunks) state.push(c, out)
  state.end(out)
  return out
}

describe("ChatTexts", () => {
  it("yields what ChatPieces yields, kind by kind, on 2,000 generated streams", () => {
    const random = prng(3)
    for (let i = 0; i < 2000; i++) {
      const chunks = generate(random)
      for (const kind of ["content", "reasoning"] as const) {
        assert.deepStrictEqual(viaTexts(chunks, kind), viaPieces(chunks, kind), JSON.stringify(chunks))
      }
    }
  })
})

const joined = (chunks: ReadonlyArray<ChatCompletionChunk>, index: number, key: "content" | "reasoning") =>
  chunks.flatMap((c) =>
    c.choices.filter((choice) => choice.index === index).map((choice) =>
      (key === "content" ? choice.delta.content : choice.delta.reasoning ?? choice.delta.reasoning_content) ?? ""
    )
  ).join("")

describe("ChatStream.stripThinking", () => {
  it.effect("moves think blocks into reasoning: textDeltas and reasoningDeltas agree, on 500 generated streams", () =>
    Effect.gen(function*() {
      const random = prng(11)
      for (let i = 0; i < 500; i++) {
        const chunks = generate(random)
        const stripped = Chunk.toArray(yield* Stream.runCollect(ChatStream.stripThinking(Stream.fromIterable(chunks))))
        const text = (yield* Stream.runCollect(ChatStream.textDeltas(Stream.fromIterable(chunks)))).pipe(Chunk.join(""))
        const reasoning = (yield* Stream.runCollect(ChatStream.reasoningDeltas(Stream.fromIterable(chunks)))).pipe(
          Chunk.join("")
        )
        assert.strictEqual(joined(stripped, 0, "content"), text, JSON.stringify(chunks))
        assert.strictEqual(joined(stripped, 0, "reasoning"), reasoning, JSON.stringify(chunks))
        for (const c of stripped) {
          for (const choice of c.choices) assert.isFalse((choice.delta.content ?? "").includes("<think>"))
        }
      }
    }))

  it.effect("keeps chunks without tags as they are and flushes a held-back tag prefix at the end", () =>
    Effect.gen(function*() {
      const plain = chunk({ content: "Hello" })
      const held = chunk({ content: "a <thi" })
      const out = Chunk.toArray(yield* Stream.runCollect(ChatStream.stripThinking(Stream.make(plain, held))))
      assert.strictEqual(out[0], plain)
      assert.deepStrictEqual(out.map((c) => c.choices[0]?.delta.content), ["Hello", "a ", "<thi"])
    }))
})
