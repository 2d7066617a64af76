// `ChatTexts` (what `ChatStream.textDeltas` and `reasoningDeltas` use) against `ChatPieces` filtered by kind: the
// same texts with the same boundaries, on generated streams with <think> tags split anywhere.
import { assert, describe, it } from "@effect/vitest"
import type { ChatCompletionChunk } from "../src/ChatCompletion.js"
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
