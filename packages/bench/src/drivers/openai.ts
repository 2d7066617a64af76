/**
 * The official `openai` client (v6) with `maxRetries: 0`; tokenize through its generic `post`.
 */
import OpenAI from "openai"
import {
  chatRequest,
  expectedCompletion,
  expectedStream,
  expectedTokenize,
  sumTokens,
  tokenizeRequest
} from "../payloads.js"
import { API_KEY, Checker, type Driver, type DriverOptions, pool, type StreamWatch } from "./Driver.js"

export const make = (options: DriverOptions): Driver => {
  // over the global `fetch`, whose dispatcher (undici's global `Agent`) has no connection limit: nothing to raise
  // for (h)
  const client = new OpenAI({ baseURL: options.baseUrl, apiKey: API_KEY, maxRetries: 0 })
  const tokenizeUrl = `${options.root}/tokenize`

  const chat = async (n: number, concurrency: number) => {
    const check = new Checker()
    await pool(n, concurrency, async () => {
      const completion = await client.chat.completions.create(chatRequest(16))
      if (completion.choices[0].message.content === expectedCompletion.content) check.ok++
      else check.fail("content differs")
    })
    return check.tally()
  }

  const stream = async (chunks: number, check: Checker, watch: StreamWatch | undefined) => {
    let count = 0
    let chars = 0
    const openedAt = watch?.opening() ?? 0
    try {
      const stream = await client.chat.completions.create({
        ...chatRequest(chunks),
        stream: true,
        stream_options: { include_usage: true }
      })
      for await (const chunk of stream) {
        const content = chunk.choices[0]?.delta?.content
        if (typeof content === "string" && content !== "") {
          if (count++ === 0) watch?.first(openedAt)
          chars += content.length
        }
      }
    } finally {
      watch?.closed()
    }
    const expected = expectedStream(chunks)
    check.units += count
    if (count === expected.chunks && chars === expected.chars) check.ok++
    else check.fail(`stream: ${count} chunks, ${chars} chars`)
  }

  const streams = async (count: number, chunks: number, watch?: StreamWatch) => {
    const check = new Checker()
    await Promise.all(Array.from({ length: count }, () => stream(chunks, check, watch)))
    return check.tally()
  }

  const tokenize = async (n: number) => {
    const check = new Checker()
    const expected = expectedTokenize()
    await pool(n, 1, async () => {
      const result = await client.post<{ tokens: Array<number> }>(tokenizeUrl, { body: tokenizeRequest })
      check.units += result.tokens.length
      if (result.tokens.length === expected.count && sumTokens(result.tokens) === expected.sum) {
        check.ok++
      } else {
        check.fail("tokens differ")
      }
    })
    return check.tally()
  }

  return { chat, streams, tokenize, close: async () => {} }
}
