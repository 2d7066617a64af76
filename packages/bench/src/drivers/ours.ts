/**
 * `@tensormesh-effect/core` over the Node transport of `@tensormesh-effect/node`, as an Effect user writes it: one
 * runtime, `Effect.forEach` with a concurrency, full schema decoding, `ChatStream.textDeltas` for streams. Modules
 * are imported by their own paths, as the apps of (f) do, so the loaded baseline holds only what is used.
 */
import * as ChatStream from "@tensormesh-effect/core/ChatStream"
import { Serverless } from "@tensormesh-effect/core/Serverless"
import * as NodeTensormesh from "@tensormesh-effect/node/NodeTensormesh"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import {
  chatRequest,
  expectedCompletion,
  expectedStream,
  expectedTokenize,
  sumTokens,
  tokenizeRequest
} from "../payloads.js"
import { API_KEY, Checker, type Driver, type DriverOptions, type StreamWatch } from "./Driver.js"

/**
 * `traced: false` runs the same program with Effect's tracer disabled (`Layer.setTracerEnabled(false)`, Effect's own
 * switch): every call's client span is then Effect's no-op span, so the difference between the two is what the
 * span costs under the built-in tracer.
 */
export const make = async (options: DriverOptions, traced = true): Promise<Driver> => {
  // the Node transport allows 256 connections per origin by default; (h) needs one per open stream
  const client = NodeTensormesh.serverless({
    baseUrl: options.baseUrl,
    apiKey: Redacted.make(API_KEY),
    connections: options.connections
  })
  const runtime = ManagedRuntime.make(traced ? client : Layer.merge(client, Layer.setTracerEnabled(false)))
  const tm = await runtime.runPromise(Serverless)
  const indices = (n: number) => Array.from({ length: n }, (_, i) => i)

  const chat = (n: number, concurrency: number) => {
    const check = new Checker()
    const request = chatRequest(16)
    return runtime.runPromise(
      Effect.forEach(
        indices(n),
        () =>
          Effect.map(tm.chat.completions.create(request), (completion) => {
            if (completion.choices[0].message.content === expectedCompletion.content) check.ok++
            else check.fail("content differs")
          }),
        { concurrency, discard: true }
      )
    ).then(() => check.tally())
  }

  const stream = (chunks: number, check: Checker, watch: StreamWatch | undefined) =>
    Effect.suspend(() => {
      const openedAt = watch?.opening() ?? 0
      return tm.chat.completions.stream(chatRequest(chunks)).pipe(
        ChatStream.textDeltas,
        Stream.runFold({ count: 0, chars: 0 }, (state, text) => {
          if (state.count++ === 0) watch?.first(openedAt)
          state.chars += text.length
          return state
        }),
        Effect.map(({ chars, count }) => {
          const expected = expectedStream(chunks)
          check.units += count
          if (count === expected.chunks && chars === expected.chars) check.ok++
          else check.fail(`stream: ${count} chunks, ${chars} chars`)
        }),
        Effect.ensuring(Effect.sync(() => watch?.closed()))
      )
    })

  const streams = (count: number, chunks: number, watch?: StreamWatch) => {
    const check = new Checker()
    return runtime.runPromise(
      Effect.forEach(indices(count), () => stream(chunks, check, watch), { concurrency: "unbounded", discard: true })
    ).then(() => check.tally())
  }

  const tokenize = (n: number) => {
    const check = new Checker()
    const expected = expectedTokenize()
    return runtime.runPromise(
      Effect.forEach(indices(n), () =>
        Effect.map(tm.tokenize.create(tokenizeRequest), (result) => {
          check.units += result.tokens.length
          if (result.tokens.length === expected.count && sumTokens(result.tokens) === expected.sum) {
            check.ok++
          } else {
            check.fail("tokens differ")
          }
        }), { discard: true })
    ).then(() => check.tally())
  }

  return { chat, streams, tokenize, close: () => runtime.dispose() }
}
