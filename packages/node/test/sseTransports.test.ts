// SSE as the SDK reads it in production, through the public API, over real loopback sockets, on every transport we
// ship: the Node transport (what `NodeTensormesh` runs) and a transport built from an HttpClient (fetch). A server
// writes generated event streams in generated pieces (splits anywhere, inside multi-byte characters too, CRLF, CR
// and LF line endings, comments and keep-alives, a last event without its blank line), and the text must arrive
// whole and exact.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { ChatStream, Serverless, ServerlessLayer, type TensormeshError } from "@tensormesh-effect/core"
import {
  Clock,
  ConfigProvider,
  type Context,
  type Duration,
  Effect,
  FastCheck as fc,
  Layer,
  Redacted,
  Stream
} from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as NodeTensormesh from "../src/NodeTensormesh.js"

const KEY = Redacted.make("ak-sse-test")
const encoder = new TextEncoder()

/** What the server does with the next request: write `pieces`, `gap` ms apart (then end, unless `open`). */
interface Script {
  readonly pieces: ReadonlyArray<Uint8Array>
  readonly gap: number
}

const server = Effect.acquireRelease(
  Effect.async<{ readonly baseUrl: string; readonly next: Array<Script>; readonly server: Http.Server }>((resume) => {
    const next: Array<Script> = []
    const s = Http.createServer((req, res) => {
      req.resume()
      req.on("end", () => {
        const script = next.shift() ?? { pieces: [], gap: 0 }
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.flushHeaders()
        let i = 0
        const write = () => {
          if (res.destroyed) return
          if (i >= script.pieces.length) return res.end()
          res.write(script.pieces[i++])
          if (script.gap === 0) setImmediate(write)
          else setTimeout(write, script.gap)
        }
        write()
      })
    })
    s.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        baseUrl: `http://127.0.0.1:${(s.address() as AddressInfo).port}/v1`,
        next,
        server: s
      })))
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)

const noEnv = Layer.setConfigProvider(ConfigProvider.fromMap(new Map()))

const transports: ReadonlyArray<
  readonly [string, (baseUrl: string, idleTimeout?: Duration.DurationInput) => Layer.Layer<Serverless, TensormeshError>]
> = [
  [
    "the Node transport (NodeTensormesh)",
    (baseUrl, idleTimeout) =>
      NodeTensormesh.serverless({ baseUrl, apiKey: KEY, ...(idleTimeout ? { idleTimeout } : {}) }).pipe(
        Layer.provide(noEnv)
      )
  ],
  [
    "a transport from an HttpClient (fetch)",
    (baseUrl, idleTimeout) =>
      ServerlessLayer({ baseUrl, apiKey: KEY, ...(idleTimeout ? { idleTimeout } : {}) }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
  ]
]

const chunk = (content: string) =>
  JSON.stringify({
    id: "c",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta: { content }, finish_reason: null }]
  })

const request = { model: "m", messages: [{ role: "user" as const, content: "Hi" }] }

const textOf = (context: Context.Context<Serverless>) =>
  Effect.flatMap(Serverless, (tm) => tm.chat.completions.stream(request).pipe(ChatStream.textDeltas, Stream.mkString))
    .pipe(Effect.provide(context))

// generated streams

const piece = fc.string({
  unit: fc.constantFrom("a", "b", " ", ":", "{", "\"", "\\", "é", "ß", "世", "界", "😀", "𝄞", "\u00a0", "\n"),
  minLength: 1,
  maxLength: 6
})
const ending = fc.constantFrom("\n", "\r\n", "\r")
const noise = fc.constantFrom(": ping", ":", "id: 42", "retry: 3000", "foo: bar")

const streamArb = fc.record({
  contents: fc.array(piece, { minLength: 1, maxLength: 8 }),
  endings: fc.array(ending, { minLength: 16, maxLength: 16 }),
  noise: fc.array(fc.option(noise, { nil: undefined }), { minLength: 9, maxLength: 9 }),
  trailing: fc.constantFrom("blank", "newline", "none"),
  cuts: fc.array(fc.nat(), { maxLength: 12 }),
  /** Also cut right after the lead byte of every multi-byte character. */
  splitCharacters: fc.boolean()
}).map(({ contents, cuts, endings, noise, splitCharacters, trailing }) => {
  const eol = (i: number) => endings[i % endings.length]
  let text = ""
  contents.forEach((content, i) => {
    const n = noise[i % noise.length]
    // one ending per event, so that a CR is never followed by the LF of another ending (that would be one CRLF)
    if (n !== undefined) text += `${n}${eol(i)}`
    text += `data: ${chunk(content)}${eol(i)}${eol(i)}`
  })
  text += trailing === "blank"
    ? `data: [DONE]${eol(3)}${eol(3)}`
    : trailing === "newline"
    ? `data: [DONE]${eol(5)}`
    : "data: [DONE]"
  const bytes = encoder.encode(text)
  const at = new Set(cuts.map((c) => c % (bytes.length + 1)))
  if (splitCharacters) {
    for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0xc0) at.add(i + 1)
  }
  const sorted = [...at].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b)
  const pieces: Array<Uint8Array> = []
  let from = 0
  for (const cut of [...sorted, bytes.length]) {
    pieces.push(bytes.subarray(from, cut))
    from = cut
  }
  return { pieces, expected: contents.join("") }
})

describe("SSE over real sockets, on every transport", () => {
  for (const [name, layerOf] of transports) {
    describe(name, () => {
      it.scopedLive("property: generated streams in generated pieces arrive whole", () =>
        Effect.gen(function*() {
          const { baseUrl, next } = yield* server
          const context = yield* Layer.build(layerOf(baseUrl))
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(streamArb, async ({ expected, pieces }) => {
                next.push({ pieces, gap: 0 })
                const text = await Effect.runPromise(textOf(context))
                assert.strictEqual(text, expected)
              }),
              { numRuns: 40 }
            )
          )
        }), 60_000)

      it.scopedLive("a read holding only the lead byte of a character (é split at 0xC3, 50 ms apart)", () =>
        Effect.gen(function*() {
          const { baseUrl, next } = yield* server
          const bytes = encoder.encode(`data: ${chunk("héllo")}\n\ndata: [DONE]\n\n`)
          const lead = bytes.indexOf(0xc3)
          next.push({
            pieces: [bytes.subarray(0, lead), bytes.subarray(lead, lead + 1), bytes.subarray(lead + 1)],
            gap: 50
          })
          const text = yield* textOf(yield* Layer.build(layerOf(baseUrl)))
          assert.strictEqual(text, "héllo")
        }))

      it.scopedLive("keep-alive comments do not reset the idle timeout (a stalled generation times out)", () =>
        Effect.gen(function*() {
          const { baseUrl, next } = yield* server
          const pings = Array.from({ length: 40 }, () => encoder.encode(": ping\n\n"))
          next.push({ pieces: [encoder.encode(`data: ${chunk("first")}\n\n`), ...pings], gap: 100 })
          const context = yield* Layer.build(layerOf(baseUrl, "1 second"))
          const start = yield* Clock.currentTimeMillis
          const seen: Array<string> = []
          const error = yield* Effect.flatMap(Serverless, (tm) =>
            tm.chat.completions.stream(request).pipe(
              ChatStream.textDeltas,
              Stream.runForEach((text) => Effect.sync(() => seen.push(text)))
            )).pipe(Effect.provide(context), Effect.flip)
          const elapsed = (yield* Clock.currentTimeMillis) - start
          assert.strictEqual(error.reason, "IdleTimeout")
          assert.deepStrictEqual(seen, ["first"])
          assert.isAtLeast(elapsed, 900)
          assert.isBelow(elapsed, 2500, "failed about 1 s after the last event, not after the pings stopped (4 s)")
        }))
    })
  }
})
