/**
 * The mock inference server, in its own process on 127.0.0.1: answers from prebuilt bytes so that it is never the
 * bottleneck. Started by `main.ts` with an IPC channel; it sends `{ port }` once listening and exits when the
 * channel closes.
 *
 * - `POST /v1/chat/completions`: the completion JSON, or (with `"stream":true`) an SSE stream of `max_tokens`
 *   content chunks, written in 64 KiB slices with backpressure.
 * - `POST /paced/<ms>/v1/chat/completions` (workload (h)): the same stream paced, the head and the first content chunk
 *   at once, then one content chunk every `<ms>` ms, then the tail. One shared interval per pace writes the next
 *   chunk of every open paced stream: a timer per stream would cost 1,000 timers at (h).
 * - `POST /tokenize`: 200,000 tokens.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { completionBody, streamBody, type StreamPieces, streamPieces, tokenizeBody } from "./payloads.js"

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

const pieces = new Map<number, StreamPieces>()
const piecesOf = (n: number) => {
  let p = pieces.get(n)
  if (p === undefined) {
    p = streamPieces(n)
    pieces.set(n, p)
  }
  return p
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

interface Paced {
  readonly res: Http.ServerResponse
  readonly pieces: StreamPieces
  /** The next content chunk to write. */
  next: number
}

/** The open paced streams by pace (ms), each set ticked by one interval, cleared when the set empties. */
const paced = new Map<number, { readonly open: Set<Paced>; readonly timer: NodeJS.Timeout }>()

const tick = (open: Set<Paced>, ms: number) => {
  for (const stream of open) {
    if (stream.res.destroyed) {
      open.delete(stream)
      continue
    }
    // chunks are a few hundred bytes: a paced stream never waits for a drain
    stream.res.write(stream.pieces.content[stream.next++])
    if (stream.next === stream.pieces.content.length) {
      open.delete(stream)
      stream.res.end(stream.pieces.tail)
    }
  }
  if (open.size === 0) {
    clearInterval(paced.get(ms)!.timer)
    paced.delete(ms)
  }
}

const writePaced = (res: Http.ServerResponse, p: StreamPieces, ms: number) => {
  if (p.content.length === 0) return void res.end(Buffer.concat([p.head, p.tail]))
  res.write(Buffer.concat([p.head, p.content[0]]))
  if (p.content.length === 1) return void res.end(p.tail)
  let group = paced.get(ms)
  if (group === undefined) {
    const open = new Set<Paced>()
    group = { open, timer: setInterval(() => tick(open, ms), ms) }
    paced.set(ms, group)
  }
  group.open.add({ res, pieces: p, next: 1 })
}

const MAX_TOKENS = /"max_tokens":(\d+)/
const STREAM = /"stream":true/
const PACED = /^\/paced\/(\d+)\/v1\/chat\/completions$/

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
    const pace = req.method === "POST" ? PACED.exec(req.url ?? "") : null
    if (pace !== null && STREAM.test(body)) {
      res.writeHead(200, sseHeaders)
      return writePaced(res, piecesOf(Number(MAX_TOKENS.exec(body)?.[1] ?? "16")), Math.max(1, Number(pace[1])))
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
// a backlog above the 1,000 connections (h) opens at once (the default 511 would drop SYNs and retry them after 1 s)
server.listen({ port: Number(process.env.BENCH_PORT ?? 0), host: "127.0.0.1", backlog: 2048 }, () => {
  const { port } = server.address() as AddressInfo
  if (process.send === undefined) process.stdout.write(`${port}\n`)
  else process.send({ port })
})

// Bounded: ends with its parent (IPC closed) or, at the latest, after an hour.
process.on("disconnect", () => process.exit(0))
setTimeout(() => process.exit(0), 3_600_000).unref()
