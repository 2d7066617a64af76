/**
 * The floor: undici's `request` with a keep-alive `Agent`, `JSON.parse`, and a minimal hand-written SSE line
 * splitter. No validation beyond what the check needs.
 */
import { Agent, request } from "undici"
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
  // undici's `Agent` has no connection limit by default; (h) states its own
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: options.connections ?? null })
  const chatUrl = `${options.baseUrl}/chat/completions`
  const tokenizeUrl = `${options.root}/tokenize`
  const headers = {
    "content-type": "application/json",
    accept: "application/json",
    authorization: `Bearer ${API_KEY}`
  }
  const sseHeaders = { ...headers, accept: "text/event-stream" }

  const post = async (url: string, body: unknown) => {
    const response = await request(url, { method: "POST", headers, body: JSON.stringify(body), dispatcher })
    const text = await response.body.text()
    if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`)
    return JSON.parse(text)
  }

  const chat = async (n: number, concurrency: number) => {
    const check = new Checker()
    await pool(n, concurrency, async () => {
      const completion = await post(chatUrl, chatRequest(16))
      if (completion.choices[0].message.content === expectedCompletion.content) check.ok++
      else check.fail("content differs")
    })
    return check.tally()
  }

  const stream = async (chunks: number, check: Checker, watch: StreamWatch | undefined) => {
    let count = 0
    let chars = 0
    let done = false
    const openedAt = watch?.opening() ?? 0
    try {
      const response = await request(chatUrl, {
        method: "POST",
        headers: sseHeaders,
        body: JSON.stringify({ ...chatRequest(chunks), stream: true, stream_options: { include_usage: true } }),
        dispatcher
      })
      if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`)
      const decoder = new TextDecoder()
      let pending = ""
      for await (const bytes of response.body) {
        const text = pending + decoder.decode(bytes as Uint8Array, { stream: true })
        let start = 0
        let end: number
        while ((end = text.indexOf("\n", start)) !== -1) {
          const line = text.slice(start, end)
          start = end + 1
          if (!line.startsWith("data: ")) continue
          const data = line.slice(6)
          if (data === "[DONE]") {
            done = true
            continue
          }
          const content = JSON.parse(data).choices[0]?.delta?.content
          if (typeof content === "string" && content !== "") {
            if (count++ === 0) watch?.first(openedAt)
            chars += content.length
          }
        }
        pending = text.slice(start)
      }
    } finally {
      watch?.closed()
    }
    const expected = expectedStream(chunks)
    check.units += count
    if (done && count === expected.chunks && chars === expected.chars) check.ok++
    else check.fail(`stream: ${count} chunks, ${chars} chars, done ${done}`)
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
      const result = await post(tokenizeUrl, tokenizeRequest)
      check.units += result.tokens.length
      if (result.tokens.length === expected.count && sumTokens(result.tokens) === expected.sum) {
        check.ok++
      } else {
        check.fail("tokens differ")
      }
    })
    return check.tally()
  }

  return { chat, streams, tokenize, close: () => dispatcher.close() }
}
