/**
 * `@tensormesh-effect/core` over the Node transport of `@tensormesh-effect/node`, as an Effect user writes it: one
 * runtime, `Effect.forEach` with a concurrency, full schema decoding, `ChatStream.textDeltas` for streams.
 */
import { ChatStream, Serverless } from "@tensormesh-effect/core"
import { NodeTensormesh } from "@tensormesh-effect/node"
import { Effect, ManagedRuntime, Redacted, Stream } from "effect"
import {
  chatRequest,
  expectedCompletion,
  expectedStream,
  expectedTokenize,
  sumTokens,
  tokenizeRequest
} from "../payloads.js"
import { API_KEY, Checker, type Driver, type DriverOptions } from "./Driver.js"

export const make = async (options: DriverOptions): Promise<Driver> => {
  const runtime = ManagedRuntime.make(
    NodeTensormesh.serverless({ baseUrl: options.baseUrl, apiKey: Redacted.make(API_KEY) })
  )
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

  const stream = (chunks: number, check: Checker) =>
    tm.chat.completions.stream(chatRequest(chunks)).pipe(
      ChatStream.textDeltas,
      Stream.runFold({ count: 0, chars: 0 }, (state, text) => {
        state.count++
        state.chars += text.length
        return state
      }),
      Effect.map(({ chars, count }) => {
        const expected = expectedStream(chunks)
        check.units += count
        if (count === expected.chunks && chars === expected.chars) check.ok++
        else check.fail(`stream: ${count} chunks, ${chars} chars`)
      })
    )

  const streams = (count: number, chunks: number) => {
    const check = new Checker()
    return runtime.runPromise(
      Effect.forEach(indices(count), () => stream(chunks, check), { concurrency: "unbounded", discard: true })
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
