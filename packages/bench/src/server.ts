/**
 * The mock inference server, in its own process on 127.0.0.1: answers from prebuilt bytes so that it is never the
 * bottleneck. Started by `main.ts` with an IPC channel; it sends `{ port }` once listening and exits when the
 * channel closes.
 *
 * - `POST /v1/chat/completions`: the completion JSON, or (with `"stream":true`) an SSE stream of `max_tokens`
 *   content chunks, written in 64 KiB slices with backpressure.
 * - `POST /tokenize`: 200,000 tokens.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { completionBody, streamBody, tokenizeBody } from "./payloads.js"

const completion = completionBody()
const tokenize = tokenizeBody()
const streams = new Map<number, Buffer>()
const streamOf = (n: number) => {
  let body = streams.get(n)
  if (body === undefined) {
    body = streamBody(n)
    streams.set(n, body)
  }
  return body
}

const SLICE = 64 * 1024

const jsonHeaders = (length: number) => ({
  "content-type": "application/json",
  "content-length": String(length)
})

const sseHeaders = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" }

const writeSlices = (res: Http.ServerResponse, body: Buffer) => {
  let offset = 0
  const next = () => {
    while (offset < body.length) {
      if (res.destroyed) return
      const end = Math.min(offset + SLICE, body.length)
      const ok = res.write(body.subarray(offset, end))
      offset = end
      if (!ok) return void res.once("drain", next)
    }
    res.end()
  }
  next()
}

const MAX_TOKENS = /"max_tokens":(\d+)/
const STREAM = /"stream":true/

const server = Http.createServer((req, res) => {
  const parts: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => parts.push(chunk))
  req.on("end", () => {
    const body = parts.length === 1 ? parts[0].toString() : Buffer.concat(parts).toString()
    if (req.method === "POST" && req.url === "/v1/chat/completions") {
      if (STREAM.test(body)) {
        const n = Number(MAX_TOKENS.exec(body)?.[1] ?? "16")
        res.writeHead(200, sseHeaders)
        return writeSlices(res, streamOf(n))
      }
      res.writeHead(200, jsonHeaders(completion.length))
      return res.end(completion)
    }
    if (req.method === "POST" && req.url === "/tokenize") {
      res.writeHead(200, jsonHeaders(tokenize.length))
      return res.end(tokenize)
    }
    const notFound = Buffer.from(JSON.stringify({ detail: "Not Found" }))
    res.writeHead(404, jsonHeaders(notFound.length))
    res.end(notFound)
  })
})
server.keepAliveTimeout = 60_000
server.headersTimeout = 65_000

// `BENCH_PORT` fixes the port (for profiling a driver by hand); the port is reported over IPC, or printed without it.
server.listen(Number(process.env.BENCH_PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo
  if (process.send === undefined) process.stdout.write(`${port}\n`)
  else process.send({ port })
})

// Bounded: ends with its parent (IPC closed) or, at the latest, after an hour.
process.on("disconnect", () => process.exit(0))
setTimeout(() => process.exit(0), 3_600_000).unref()
