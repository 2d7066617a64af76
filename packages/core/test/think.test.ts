import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import type { ThinkPiece } from "../src/internal/think.js"
import { splitThink, ThinkStreamSplitter } from "../src/internal/think.js"

interface Collected {
  readonly content: string
  readonly reasoning: string
  readonly pieces: Array<ThinkPiece>
  /** The output of each `push` and of `end`. */
  readonly calls: Array<Array<ThinkPiece>>
}

const run = (deltas: ReadonlyArray<string>, initial?: "content" | "reasoning"): Collected => {
  const splitter = new ThinkStreamSplitter({ initial })
  const calls = [...deltas.map((delta) => splitter.push(delta)), splitter.end()]
  const pieces = calls.flat()
  return {
    calls,
    content: pieces.filter((piece) => piece.kind === "content").map((piece) => piece.text).join(""),
    reasoning: pieces.filter((piece) => piece.kind === "reasoning").map((piece) => piece.text).join(""),
    pieces
  }
}

const content = (text: string): ThinkPiece => ({ kind: "content", text })
const reasoning = (text: string): ThinkPiece => ({ kind: "reasoning", text })

describe("splitThink", () => {
  it("returns content without tags untouched (same string) and no reasoning", () => {
    const text = "  Hello <b>world</b> a < b\n"
    const result = splitThink(text)
    assert.strictEqual(result.content, text)
    assert.isUndefined(result.reasoning)
  })

  it("moves a think block to reasoning and trims the whitespace after it", () => {
    assert.deepStrictEqual(splitThink("<think>\nLet me think.\n</think>\n\nHello"), {
      content: "Hello",
      reasoning: "Let me think."
    })
  })

  it("joins several blocks with a newline", () => {
    assert.deepStrictEqual(splitThink("<think>a</think> one <think> b </think>\ttwo"), {
      content: "one two",
      reasoning: "a\nb"
    })
  })

  it("keeps text before a block and whitespace before a tag", () => {
    assert.deepStrictEqual(splitThink("Intro <think>x</think>  rest"), { content: "Intro rest", reasoning: "x" })
    assert.deepStrictEqual(splitThink("\n<think>x</think>y"), { content: "\ny", reasoning: "x" })
  })

  it("treats an orphan closing tag as the end of template-injected reasoning", () => {
    assert.deepStrictEqual(splitThink("I should greet.\n</think>\n\nHello!"), {
      content: "Hello!",
      reasoning: "I should greet."
    })
    assert.deepStrictEqual(splitThink("</think>Hello"), { content: "Hello", reasoning: undefined })
  })

  it("strips an orphan closing tag without taking reasoning when orphanClose is false", () => {
    assert.deepStrictEqual(splitThink("I should greet.\n</think>\n\nHello!", { orphanClose: false }), {
      content: "I should greet.\nHello!",
      reasoning: undefined
    })
  })

  it("applies orphanClose only to a closing tag before any opening tag", () => {
    assert.deepStrictEqual(splitThink("<think>a</think>b</think> c"), { content: "bc", reasoning: "a" })
    assert.deepStrictEqual(splitThink("r1</think>b<think>r2</think>c"), { content: "bc", reasoning: "r1\nr2" })
  })

  it("makes the rest of an unclosed block reasoning", () => {
    assert.deepStrictEqual(splitThink("<think>still thinking"), { content: "", reasoning: "still thinking" })
    assert.deepStrictEqual(splitThink("Answer: <think>hmm"), { content: "Answer: ", reasoning: "hmm" })
    assert.deepStrictEqual(splitThink("<think>a</think>b<think>c"), { content: "b", reasoning: "a\nc" })
  })

  it("drops empty blocks (Qwen3 with thinking disabled)", () => {
    assert.deepStrictEqual(splitThink("<think>\n\n</think>\n\nHello"), { content: "Hello", reasoning: undefined })
  })

  it("drops a nested opening tag inside a block", () => {
    assert.deepStrictEqual(splitThink("<think>a<think>b</think>c"), { content: "c", reasoning: "ab" })
  })

  it("matches tags exactly", () => {
    for (const text of ["<THINK>x</THINK>", "<think >x</think >", "<thinking>x</thinking>", "<think", "a </think"]) {
      assert.deepStrictEqual(splitThink(text), { content: text, reasoning: undefined }, text)
    }
  })
})

describe("ThinkStreamSplitter", () => {
  it("emits a delta without < in full and at once", () => {
    const splitter = new ThinkStreamSplitter()
    assert.deepStrictEqual(splitter.push("Hello"), [content("Hello")])
    assert.deepStrictEqual(splitter.push(" world"), [content(" world")])
    assert.deepStrictEqual(splitter.push(""), [])
    assert.deepStrictEqual(splitter.end(), [])
  })

  it("switches state on tags and drops them", () => {
    const splitter = new ThinkStreamSplitter()
    assert.deepStrictEqual(splitter.push("<think>plan"), [reasoning("plan")])
    assert.deepStrictEqual(splitter.push(" more"), [reasoning(" more")])
    assert.deepStrictEqual(splitter.push("</think>Answer"), [content("Answer")])
  })

  it("switches several times within one delta", () => {
    const splitter = new ThinkStreamSplitter()
    assert.deepStrictEqual(splitter.push("a<think>b</think>c<think>d</think>e"), [
      content("a"),
      reasoning("b"),
      content("c"),
      reasoning("d"),
      content("e")
    ])
  })

  it("holds back an opening tag split across deltas", () => {
    const splitter = new ThinkStreamSplitter()
    assert.deepStrictEqual(splitter.push("Hi <thi"), [content("Hi ")])
    assert.deepStrictEqual(splitter.push("nk>x"), [reasoning("x")])
  })

  it("holds back a closing tag split across deltas and trims the whitespace after it", () => {
    const splitter = new ThinkStreamSplitter()
    assert.deepStrictEqual(splitter.push("<think>r</th"), [reasoning("r")])
    assert.deepStrictEqual(splitter.push("ink>\n\nHi"), [content("Hi")])
  })

  it("holds back a tag split into single characters", () => {
    const splitter = new ThinkStreamSplitter()
    const pieces: Array<ThinkPiece> = []
    for (const char of "<think>r</think>c") pieces.push(...splitter.push(char))
    pieces.push(...splitter.end())
    assert.deepStrictEqual(pieces, [reasoning("r"), content("c")])
  })

  it("trims whitespace after </think> across later deltas", () => {
    const splitter = new ThinkStreamSplitter()
    assert.deepStrictEqual(splitter.push("<think>r</think>"), [reasoning("r")])
    assert.deepStrictEqual(splitter.push("\n"), [])
    assert.deepStrictEqual(splitter.push(" \n "), [])
    assert.deepStrictEqual(splitter.push("  Hello"), [content("Hello")])
    assert.deepStrictEqual(splitter.push(" world"), [content(" world")])
  })

  it("emits text that turns out not to be a tag", () => {
    const splitter = new ThinkStreamSplitter()
    assert.deepStrictEqual(splitter.push("a <th"), [content("a ")])
    assert.deepStrictEqual(splitter.push("ing>"), [content("<thing>")])
    assert.deepStrictEqual(splitter.push("x < y"), [content("x < y")])
    assert.deepStrictEqual(splitter.push("<"), [])
    assert.deepStrictEqual(splitter.push("<"), [content("<")])
    assert.deepStrictEqual(splitter.end(), [content("<")])
  })

  it("holds back at most 7 characters", () => {
    const splitter = new ThinkStreamSplitter()
    assert.deepStrictEqual(splitter.push("text</think"), [content("text")])
    assert.deepStrictEqual(splitter.end(), [content("</think")])
  })

  it("merges adjacent pieces of the same kind and never emits empty pieces", () => {
    const splitter = new ThinkStreamSplitter()
    assert.deepStrictEqual(splitter.push("<think>a<think>b</think></think>c"), [reasoning("ab"), content("c")])
    assert.deepStrictEqual(splitter.push("<think></think>"), [])
  })

  it("flushes held text in the current state at the end, an unclosed block being reasoning", () => {
    const splitter = new ThinkStreamSplitter()
    assert.deepStrictEqual(splitter.push("<think>still <thi"), [reasoning("still ")])
    assert.deepStrictEqual(splitter.end(), [reasoning("<thi")])
  })

  it("drops an orphan closing tag in content state", () => {
    assert.deepStrictEqual(run(["reasoning?</think>\n\nAnswer"]).pieces, [content("reasoning?Answer")])
  })

  it("starts in reasoning when the template injects the opening tag", () => {
    assert.deepStrictEqual(run(["I should", " greet.</th", "ink>\n", "\nHello!"], "reasoning").pieces, [
      reasoning("I should"),
      reasoning(" greet."),
      content("Hello!")
    ])
  })

  it("agrees with splitThink on the template-injected case", () => {
    const text = "Plan.</think>\n\nDone</think> now"
    const streamed = run([text], "reasoning")
    const split = splitThink(text)
    assert.strictEqual(streamed.content, split.content)
    assert.strictEqual(streamed.reasoning, split.reasoning)
    assert.strictEqual(run([text]).content, splitThink(text, { orphanClose: false }).content)
  })
})

// ---------------------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------------------

/** Text that is likely to contain near-miss tags, tag fragments and whitespace. */
const fragment = fc.string({
  unit: fc.constantFrom(
    "a",
    "b",
    " ",
    "\n",
    "\t",
    "<",
    ">",
    "/",
    "t",
    "h",
    "i",
    "n",
    "k",
    "<thi",
    "</th",
    "nk>",
    "ink>",
    "<think",
    "</think",
    "😀",
    "é"
  ),
  maxLength: 10
})

type Part = { readonly _tag: "Text"; readonly text: string } | { readonly _tag: "Think"; readonly text: string }

const partsArb = fc.array(
  fc.oneof(
    fragment.map((text): Part => ({ _tag: "Text", text })),
    fragment.map((text): Part => ({ _tag: "Think", text }))
  ),
  { maxLength: 6 }
)

const render = (parts: ReadonlyArray<Part>): string =>
  parts.map((part) => part._tag === "Text" ? part.text : `<think>${part.text}</think>`).join("")

const occurrences = (text: string, tag: string): number => text.split(tag).length - 1

/** The expected result for well-formed input, computed from the parts. */
const model = (parts: ReadonlyArray<Part>) => {
  let content = ""
  let trim = false
  const blocks: Array<string> = []
  for (const part of parts) {
    if (part._tag === "Think") {
      blocks.push(part.text)
      trim = true
    } else {
      const text = trim ? part.text.trimStart() : part.text
      if (text.length > 0) trim = false
      content += text
    }
  }
  const trimmed = blocks.map((block) => block.trim()).filter((block) => block.length > 0)
  return {
    content,
    streamedReasoning: blocks.join(""),
    splitReasoning: trimmed.length === 0 ? undefined : trimmed.join("\n")
  }
}

const splitDeltas = (text: string, rawCuts: ReadonlyArray<number>): Array<string> => {
  const cuts = rawCuts.map((cut) => cut % (text.length + 1)).sort((a, b) => a - b)
  const deltas: Array<string> = []
  let start = 0
  for (const cut of cuts) {
    deltas.push(text.slice(start, cut))
    start = cut
  }
  deltas.push(text.slice(start))
  return deltas
}

describe("property", () => {
  it("streams identically however the text is split, and never emits empty or adjacent same-kind pieces", () => {
    fc.assert(
      fc.property(
        fc.oneof(partsArb.map(render), fragment),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.constantFrom("content" as const, "reasoning" as const),
        (text, rawCuts, initial) => {
          const whole = run([text], initial)
          const split = run(splitDeltas(text, rawCuts), initial)
          assert.strictEqual(split.content, whole.content)
          assert.strictEqual(split.reasoning, whole.reasoning)
          assert.isTrue(split.pieces.every((piece) => piece.text.length > 0))
          for (const call of split.calls) {
            for (let i = 1; i < call.length; i++) assert.notStrictEqual(call[i].kind, call[i - 1].kind)
          }
          // Content agrees with splitThink: starting in content is splitThink without orphanClose; starting in
          // reasoning is splitThink with orphanClose when the first tag is a closing one.
          if (initial === "content") {
            assert.strictEqual(whole.content, splitThink(text, { orphanClose: false }).content)
          } else {
            const close = text.indexOf("</think>")
            const open = text.indexOf("<think>")
            if (close !== -1 && (open === -1 || close < open)) {
              assert.strictEqual(whole.content, splitThink(text).content)
            }
          }
        }
      ),
      { numRuns: 1000 }
    )
  })

  it("matches the model and splitThink on well-formed input", () => {
    fc.assert(
      fc.property(partsArb, fc.array(fc.nat(), { maxLength: 12 }), (parts, rawCuts) => {
        const text = render(parts)
        const blocks = parts.filter((part) => part._tag === "Think").length
        fc.pre(occurrences(text, "<think>") === blocks && occurrences(text, "</think>") === blocks)
        const expected = model(parts)
        const streamed = run(splitDeltas(text, rawCuts))
        assert.strictEqual(streamed.content, expected.content)
        assert.strictEqual(streamed.reasoning, expected.streamedReasoning)
        const split = splitThink(text)
        assert.strictEqual(split.content, expected.content)
        assert.strictEqual(split.reasoning, expected.splitReasoning)
      }),
      { numRuns: 1000 }
    )
  })

  it("emits everything that cannot start a tag immediately", () => {
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 8 }), (deltas) => {
        const splitter = new ThinkStreamSplitter()
        let emitted = 0
        let fed = ""
        for (const delta of deltas) {
          fed += delta
          for (const piece of splitter.push(delta)) emitted += piece.text.length
          // everything fed is emitted, dropped as a tag or trimmed, except at most a 7-character held suffix
          const tail = fed.slice(fed.lastIndexOf("<"))
          if (fed.lastIndexOf("<") === -1 || !("</think>".startsWith(tail) || "<think>".startsWith(tail))) {
            const flushed = splitter.end().length
            assert.strictEqual(flushed, 0, `nothing should be held after ${JSON.stringify(fed)}`)
          }
        }
        assert.isAtMost(emitted, fed.length)
      }),
      { numRuns: 500 }
    )
  })
})
