import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Either, FastCheck as fc, Stream } from "effect"
import type { SseEvent } from "../src/internal/sse.js"
import { LineSplitter, SseEventTooLarge, SseParser } from "../src/internal/sse.js"
import { decodeLines, decodeSse } from "./support/sse.js"

const encoder = new TextEncoder()
const bytes = (text: string): Uint8Array => encoder.encode(text)
const concatBytes = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
/** Splits `data` before each of the given byte offsets. */
const splitAt = (data: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const sorted = [...cuts].map((cut) => Math.min(cut, data.length)).sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let start = 0
  for (const cut of sorted) {
    out.push(data.subarray(start, cut))
    start = cut
  }
  out.push(data.subarray(start))
  return out
}
/** Every single byte as its own read. */
const bytewise = (data: Uint8Array): Array<Uint8Array> => Array.from(data, (byte) => Uint8Array.of(byte))

const ev = (data: string, event?: string): SseEvent => ({ event, data })

const decodeChunks = (chunks: ReadonlyArray<Uint8Array | string>, maxEventSize?: number) =>
  decodeSse(
    Stream.fromIterable(chunks.map((chunk) => typeof chunk === "string" ? bytes(chunk) : chunk)),
    { maxEventSize }
  ).pipe(Stream.runCollect, Effect.map(Chunk.toArray))

const decode = (chunks: ReadonlyArray<Uint8Array | string>, maxEventSize?: number): Array<SseEvent> =>
  Effect.runSync(decodeChunks(chunks, maxEventSize))

/** Decodes with the parser directly, one push per read, so every read boundary is really exercised. */
const parse = (chunks: ReadonlyArray<Uint8Array | string>, maxEventSize?: number): Array<SseEvent> => {
  const parser = new SseParser({ maxEventSize })
  const out: Array<SseEvent> = []
  for (const chunk of chunks) out.push(...parser.push(typeof chunk === "string" ? bytes(chunk) : chunk))
  out.push(...parser.end())
  return out
}

const lines = (chunks: ReadonlyArray<Uint8Array | string>): Array<string> => {
  const splitter = new LineSplitter()
  const out: Array<string> = []
  for (const chunk of chunks) out.push(...splitter.push(typeof chunk === "string" ? bytes(chunk) : chunk))
  out.push(...splitter.end())
  return out
}

/** Checks a hand-written stream whole, byte by byte, and through the Stream API. */
const check = (text: string, expected: ReadonlyArray<SseEvent>) => {
  assert.deepStrictEqual(parse([text]), expected, "whole")
  assert.deepStrictEqual(parse(bytewise(bytes(text))), expected, "byte by byte")
  assert.deepStrictEqual(decode(bytewise(bytes(text))), expected, "stream")
}

describe("LineSplitter", () => {
  it("ends lines at LF, CRLF and lone CR, mixed", () => {
    assert.deepStrictEqual(lines(["a\nb\r\nc\rd\n\re\r\n\r\n"]), ["a", "b", "c", "d", "", "e", ""])
  })

  it("does not emit an extra line when a CRLF is split across reads", () => {
    assert.deepStrictEqual(lines(["a\r", "\nb\r", "\n"]), ["a", "b"])
    assert.deepStrictEqual(lines(["a\r", "", "\n", "b"]), ["a", "b"])
  })

  it("emits the line at a trailing CR immediately", () => {
    const splitter = new LineSplitter()
    assert.deepStrictEqual(splitter.push(bytes("a\r")), ["a"])
    assert.deepStrictEqual(splitter.push(bytes("\r")), [""])
    assert.deepStrictEqual(splitter.push(bytes("\n")), [])
    assert.deepStrictEqual(splitter.push(bytes("b\n")), ["b"])
    assert.deepStrictEqual(splitter.end(), [])
  })

  it("keeps a CR followed by a CR at the start of the next read as two line ends", () => {
    assert.deepStrictEqual(lines(["a\r", "\rb"]), ["a", "", "b"])
  })

  it("joins a line split across many reads and emits a final line without terminator", () => {
    assert.deepStrictEqual(lines(["da", "ta: hel", "lo\nwor", "ld"]), ["data: hello", "world"])
    assert.deepStrictEqual(lines(["x\n"]), ["x"])
    assert.deepStrictEqual(lines([]), [])
  })

  it("decodes a multi-byte character split across reads", () => {
    const euro = bytes("€\n") // e2 82 ac 0a
    assert.deepStrictEqual(lines([euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2)]), ["€"])
    const emoji = bytes("a😀b\n") // 4-byte astral character
    assert.deepStrictEqual(lines(bytewise(emoji)), ["a😀b"])
  })

  it("replaces invalid and truncated UTF-8 instead of failing", () => {
    assert.deepStrictEqual(lines([Uint8Array.of(0x61, 0xff, 0x62, 0x0a)]), ["a\ufffdb"])
    assert.deepStrictEqual(lines([Uint8Array.of(0x61, 0xe2, 0x82)]), ["a\ufffd"])
  })

  it("strips a leading BOM only at the start of the stream, even when split", () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf)
    assert.deepStrictEqual(lines([concatBytes([bom, bytes("a\n")])]), ["a"])
    assert.deepStrictEqual(lines([bom.subarray(0, 1), bom.subarray(1), bytes("a\n")]), ["a"])
    assert.deepStrictEqual(lines([bytes("a\n"), bom, bytes("b\n")]), ["a", "\ufeffb"])
    assert.deepStrictEqual(lines([concatBytes([bom, bom, bytes("c")])]), ["\ufeffc"])
  })

  it("reports the length of the unfinished line", () => {
    const splitter = new LineSplitter()
    splitter.push(bytes("abc\nde"))
    assert.strictEqual(splitter.pendingLength, 2)
    splitter.push(bytes("f"))
    assert.strictEqual(splitter.pendingLength, 3)
  })
})

describe("SseParser", () => {
  it("dispatches on a blank line with any line ending", () => {
    check("data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\n\r\n", [ev("a"), ev("b"), ev("c"), ev("d")])
  })

  it("handles a chunk boundary inside the blank-line separator and inside CRLF", () => {
    assert.deepStrictEqual(parse(["data: a\n", "\ndata: b\r", "\n\r", "\ndata: c\r", "\r"]), [
      ev("a"),
      ev("b"),
      ev("c")
    ])
    // a CR ending the data line then a CRLF blank line, split between the two CRs
    assert.deepStrictEqual(parse(["data: a\r", "\r\n", "data: b\n"]), [ev("a"), ev("b")])
  })

  it("joins multi-line data with LF and strips exactly one space after the colon", () => {
    check("data: first\ndata:second\ndata:  third\ndata:\ndata\n\n", [ev("first\nsecond\n third\n\n")])
  })

  it("accepts data:[DONE] without a space and does not interpret it", () => {
    check("data:[DONE]\n\ndata: after\n\n", [ev("[DONE]"), ev("after")])
  })

  it("treats a field without colon as an empty value and dispatches empty data", () => {
    check("data\n\n", [ev("")])
    check("data:\n\n", [ev("")])
    check("data: \n\n", [ev("")])
  })

  it("skips comments, id, retry and unknown fields", () => {
    check(": ping\n:\nid: 7\nretry: 100000\nfoo: bar\nDATA: no\ndata : no\ndatax: no\ndata: yes\n: mid\n\n", [
      ev("yes")
    ])
  })

  it("dispatches nothing for events without data", () => {
    check("event: lonely\n\n: ping\n\nid: 1\n\ndata: x\n\n", [ev("x")])
    check("\n\n\n", [])
    check("", [])
  })

  it("sets the event name for the next event only", () => {
    check(
      "event: response.created\ndata: {}\n\ndata: plain\n\nevent:error\ndata: e\n\nevent: dropped\n\ndata: again\n\n",
      [ev("{}", "response.created"), ev("plain"), ev("e", "error"), ev("again")]
    )
  })

  it("keeps the last event line and treats an empty name as none", () => {
    check("event: a\nevent: b\ndata: x\n\nevent:\ndata: y\n\nevent\ndata: z\n\n", [ev("x", "b"), ev("y"), ev("z")])
  })

  it("delivers a final event without its trailing blank line", () => {
    check("data: a\n\ndata: last\n", [ev("a"), ev("last")])
    check("data: a\n\nevent: done\ndata: last", [ev("a"), ev("last", "done")])
    check("data: one\ndata: two\r", [ev("one\ntwo")])
  })

  it("strips a leading BOM", () => {
    const stream = concatBytes([Uint8Array.of(0xef, 0xbb, 0xbf), bytes("data: a\n\n")])
    assert.deepStrictEqual(parse([stream]), [ev("a")])
    assert.deepStrictEqual(parse(bytewise(stream)), [ev("a")])
    // without the stripping, the first field name would be "\ufeffdata" and the event lost
  })

  it("decodes non-ASCII data split inside characters", () => {
    check("data: héllo 世界 😀\ndata: 𝄞\n\n", [ev("héllo 世界 😀\n𝄞")])
  })

  it("throws SseEventTooLarge on oversized data, counting joined lines", () => {
    assert.deepStrictEqual(parse(["data: 0123456789\n\n"], 10), [ev("0123456789")])
    assert.throws(() => parse(["data: 0123456789a\n\n"], 10))
    assert.throws(() => parse(["data: 01234\ndata: 56789\n\n"], 10))
    assert.deepStrictEqual(parse(["data: 0123\ndata: 56789\n\n"], 10), [ev("0123\n56789")])
    const parser = new SseParser({ maxEventSize: 4 })
    try {
      parser.push(bytes("data: 12345\n"))
      assert.fail("expected SseEventTooLarge")
    } catch (error) {
      assert.instanceOf(error, SseEventTooLarge)
      assert.strictEqual((error as SseEventTooLarge).size, 5)
      assert.strictEqual((error as SseEventTooLarge).limit, 4)
    }
  })

  it("limits an unfinished line, allowing room for the data: prefix", () => {
    const parser = new SseParser({ maxEventSize: 10 })
    parser.push(bytes("data: 0123456789")) // 16 = 10 + "data: ".length: still acceptable
    assert.throws(() => parser.push(bytes("x")), /exceeds the limit of 10/)
    // the same maximal line split anywhere is accepted
    const ok = bytes("data: 0123456789\n\n")
    for (let cut = 0; cut <= ok.length; cut++) {
      assert.deepStrictEqual(parse(splitAt(ok, [cut]), 10), [ev("0123456789")])
    }
  })

  it("keeps working on many events in one read", () => {
    const text = Array.from({ length: 1000 }, (_, i) => `data: {"i":${i}}\n\n`).join("")
    const events = parse([text])
    assert.strictEqual(events.length, 1000)
    assert.deepStrictEqual(events[999], ev("{\"i\":999}"))
  })
})

describe("decodeSse", () => {
  it("emits the events of one read as one chunk", () =>
    Effect.gen(function*() {
      const chunks = yield* decodeSse(
        Stream.fromIterable([bytes("data: a\n\ndata: b\n\nda"), bytes("ta: c\n\n")]).pipe(Stream.rechunk(1))
      ).pipe(Stream.chunks, Stream.runCollect)
      assert.deepStrictEqual(Chunk.toArray(chunks).map(Chunk.toArray), [[ev("a"), ev("b")], [ev("c")]])
    }))

  it("flushes a pending event when upstream ends", () =>
    Effect.gen(function*() {
      const events = yield* decodeChunks(["data: a\n\nevent: x\ndata: b"])
      assert.deepStrictEqual(events, [ev("a"), ev("b", "x")])
    }))

  it("fails with SseEventTooLarge as a typed failure, after the events before it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodeChunks(["data: ok\n\ndata: 01234567890\n\n"], 10))
      assert.strictEqual(error._tag, "SseEventTooLarge")
      assert.strictEqual(error.limit, 10)
      const seen: Array<SseEvent> = []
      const result = yield* decodeSse(Stream.make(bytes("data: ok\n\ndata: 01234567890\n\n")), { maxEventSize: 10 })
        .pipe(Stream.runForEach((event) => Effect.sync(() => seen.push(event))), Effect.either)
      assert.isTrue(Either.isLeft(result))
      assert.deepStrictEqual(seen, [ev("ok")])
    }))

  it("fails on an oversized event that only completes at end of stream", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodeChunks(["data: 01234567890"], 10))
      assert.strictEqual(error._tag, "SseEventTooLarge")
    }))

  it("fails instead of growing memory on an endless line without newline", () =>
    Effect.gen(function*() {
      const endless = Stream.repeatValue(bytes("data: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))
      const error = yield* Effect.flip(Stream.runDrain(decodeSse(endless, { maxEventSize: 1000 })))
      assert.strictEqual(error._tag, "SseEventTooLarge")
      assert.isAbove(error.size, 1000)
    }))

  it("fails on endless data lines that never dispatch", () =>
    Effect.gen(function*() {
      const endless = Stream.repeatValue(bytes("data: aaaaaaaa\n"))
      const error = yield* Effect.flip(Stream.runDrain(decodeSse(endless, { maxEventSize: 1000 })))
      assert.strictEqual(error._tag, "SseEventTooLarge")
    }))

  it("passes upstream failures through unchanged", () =>
    Effect.gen(function*() {
      const upstream = Stream.concat(Stream.make(bytes("data: a\n\n")), Stream.fail("boom" as const))
      const seen: Array<SseEvent> = []
      const error = yield* decodeSse(upstream).pipe(
        Stream.runForEach((event) => Effect.sync(() => seen.push(event))),
        Effect.flip
      )
      assert.strictEqual(error, "boom")
      assert.deepStrictEqual(seen, [ev("a")])
    }))

  it("gives each run of the stream fresh parser state", () =>
    Effect.gen(function*() {
      const stream = decodeSse(Stream.make(bytes("data: a\n\ndata: b")))
      const first = yield* Stream.runCollect(stream)
      const second = yield* Stream.runCollect(stream)
      assert.deepStrictEqual(Chunk.toArray(first), [ev("a"), ev("b")])
      assert.deepStrictEqual(Chunk.toArray(second), [ev("a"), ev("b")])
    }))

  it("handles an empty upstream", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* decodeChunks([]), [])
    }))
})

describe("decodeLines", () => {
  it("emits every line, including blank ones and a final partial line", () =>
    Effect.gen(function*() {
      const result = yield* decodeLines(
        Stream.fromIterable(["data: a\r", "\n\r", "\ndata: b\rx\n\ntail"].map(bytes)).pipe(Stream.rechunk(1))
      ).pipe(Stream.runCollect)
      assert.deepStrictEqual(Chunk.toArray(result), ["data: a", "", "data: b", "x", "", "tail"])
    }))

  it("gives each run fresh state", () =>
    Effect.gen(function*() {
      const stream = decodeLines(Stream.make(bytes("a\r"), bytes("\nb")))
      assert.deepStrictEqual(Chunk.toArray(yield* Stream.runCollect(stream)), ["a", "b"])
      assert.deepStrictEqual(Chunk.toArray(yield* Stream.runCollect(stream)), ["a", "b"])
    }))
})

// ---------------------------------------------------------------------------------------------------------------------
// Property: serialise random events, split the bytes anywhere, decode.
// ---------------------------------------------------------------------------------------------------------------------

/** Text without line terminators: ASCII, Latin-1, CJK, emoji and other astral characters. */
const lineText = fc.string({
  unit: fc.oneof(
    fc.constantFrom("a", "b", " ", ":", "[", "]", "{", "}", "\"", "é", "世", "😀", "𝄞", "\u00a0", "\ufeff"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 })
  ),
  maxLength: 12
}).map((s) => s.replace(/[\r\n]/g, "_"))

interface Line {
  readonly text: string
  readonly ending: string
}

const ending = fc.constantFrom("\n", "\r\n", "\r")

const dataLine = (value: string) =>
  fc.record({ prefix: fc.constantFrom("data: ", "data:", "data"), ending }).map(({ ending, prefix }): Line => {
    const chosen = prefix === "data" && value.length > 0 ? "data: " : prefix
    // "data:" + a value starting with a space would lose that space: use "data: " then
    return { text: (chosen === "data:" && value.startsWith(" ") ? "data: " : chosen) + value, ending }
  })

const noise = fc.oneof(
  fc.constantFrom(": ping", ":", "id: 42", "retry: 3000", "foo: bar", "data2: x"),
  lineText.map((text) => ":" + text)
)

const eventArb = fc.record({
  event: fc.option(lineText.filter((name) => name.length > 0), { nil: undefined }),
  data: fc.array(lineText, { minLength: 1, maxLength: 4 })
})

const serialisedArb = fc.record({
  events: fc.array(eventArb, { maxLength: 8 }),
  bom: fc.boolean(),
  trailing: fc.constantFrom("blank", "newline", "none")
}).chain(({ bom, events, trailing }) =>
  fc.tuple(
    ...events.map((event) =>
      fc.tuple(
        fc.array(fc.tuple(noise, ending).map(([text, ending]): Line => ({ text, ending })), { maxLength: 2 }),
        event.event === undefined ? fc.constant([]) : ending.map((ending): Array<Line> => [
          { text: "event: " + event.event, ending }
        ]),
        fc.tuple(...event.data.map(dataLine)),
        ending
      )
    )
  ).map((perEvent) => {
    const allLines: Array<Line> = []
    perEvent.forEach(([noiseLines, eventLines, dataLines, blankEnding]) => {
      allLines.push(...noiseLines, ...eventLines, ...dataLines, { text: "", ending: blankEnding })
    })
    if (trailing !== "blank" && allLines.length > 0) {
      allLines.pop() // drop the last blank line: the final event must still be delivered at EOF
      if (trailing === "none" && allLines.length > 0) {
        allLines[allLines.length - 1] = { text: allLines[allLines.length - 1].text, ending: "" }
      }
    }
    let text = ""
    let previous = ""
    for (const line of allLines) {
      // A lone CR followed by an empty line ending in LF would read as one CRLF: avoid that ambiguity.
      const lineEnding = previous === "\r" && line.text.length === 0 && line.ending === "\n" ? "\r" : line.ending
      text += line.text + lineEnding
      previous = lineEnding
    }
    const expected = events.map((event) => ev(event.data.join("\n"), event.event))
    const serialised = concatBytes([bom ? Uint8Array.of(0xef, 0xbb, 0xbf) : new Uint8Array(0), bytes(text)])
    return { expected, serialised }
  })
)

describe("property", () => {
  it("decodes generated events identically however the bytes are split", () => {
    fc.assert(
      fc.property(serialisedArb, fc.array(fc.nat(), { maxLength: 12 }), ({ expected, serialised }, rawCuts) => {
        const cuts = rawCuts.map((cut) => cut % (serialised.length + 1))
        const whole = decode([serialised])
        const split = decode(splitAt(serialised, cuts))
        assert.deepStrictEqual(whole, expected)
        assert.deepStrictEqual(split, whole)
        assert.deepStrictEqual(parse(splitAt(serialised, cuts)), expected)
      }),
      { numRuns: 500 }
    )
  })

  it("decodes generated events byte by byte", () => {
    fc.assert(
      fc.property(serialisedArb, ({ expected, serialised }) => {
        assert.deepStrictEqual(parse(bytewise(serialised)), expected)
      }),
      { numRuns: 200 }
    )
  })

  it("splits lines identically however the bytes are split", () => {
    const textArb = fc.array(fc.tuple(lineText, fc.constantFrom("\n", "\r\n", "\r", "")), { maxLength: 10 })
      .map((parts) => parts.map(([text, end]) => text + end).join(""))
    fc.assert(
      fc.property(textArb, fc.array(fc.nat(), { maxLength: 10 }), (text, rawCuts) => {
        const data = bytes(text)
        const cuts = rawCuts.map((cut) => cut % (data.length + 1))
        const whole = lines([data])
        assert.deepStrictEqual(lines(splitAt(data, cuts)), whole)
        const stream = Effect.runSync(Stream.runCollect(decodeLines(Stream.fromIterable(splitAt(data, cuts)))))
        assert.deepStrictEqual(Chunk.toArray(stream), whole)
        // reference: split on the three terminators at once (a leading BOM is stripped)
        const reference = text.replace(/^\ufeff/, "").split(/\r\n|\r|\n/)
        if (reference[reference.length - 1] === "") reference.pop()
        assert.deepStrictEqual(whole, reference)
      }),
      { numRuns: 500 }
    )
  })
})
