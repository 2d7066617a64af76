/**
 * Loopback HTTP helpers for the local server tests: `fetch` wrapped in Effect, an SSE splitter that keeps every
 * field, and a raw `node:http` client for connection-level faults.
 */
import { Effect } from "effect"
import * as Http from "node:http"
import type * as LocalServer from "../../src/LocalServer.js"

export const KEY = "test-key"
export const USER_ID = "0b5c6a1e-8f3d-4c2a-9e7b-1d2f3a4b5c6d"

export interface Result {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: () => any
}

export const request = (url: string, init?: RequestInit): Effect.Effect<Result> =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    const text = await response.text()
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) }
  })

export const get = (server: LocalServer.Service, path: string, headers?: Record<string, string>) =>
  request(`${server.root}${path}`, { headers: headers ?? {} })

export const post = (
  server: LocalServer.Service,
  path: string,
  body: unknown,
  headers?: Record<string, string>
) =>
  request(`${server.root}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body)
  })

export interface SseFrame {
  readonly event: string | undefined
  readonly data: string | undefined
  readonly comment: string | undefined
}

/** Splits an SSE body on blank lines; each frame keeps its `event:`, `data:` and comment lines. */
export const frames = (text: string): Array<SseFrame> =>
  text.split("\n\n").filter((block) => block.length > 0).map((block) => {
    let event: string | undefined
    let data: string | undefined
    let comment: string | undefined
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) comment = line.slice(1).trim()
      else if (line.startsWith("event: ")) event = line.slice(7)
      else if (line.startsWith("data: ")) data = data === undefined ? line.slice(6) : `${data}\n${line.slice(6)}`
      else throw new Error(`unexpected SSE line: ${line}`)
    }
    return { event, data, comment }
  })

/** The `data:` payloads of a data-only stream, `[DONE]` kept as a string. */
export const dataPayloads = (text: string): Array<any> =>
  frames(text).filter((frame) => frame.data !== undefined).map((frame) =>
    frame.data === "[DONE]" ? "[DONE]" : JSON.parse(frame.data!)
  )

export interface RawResult {
  readonly status: number | undefined
  readonly body: Buffer
  readonly error: string | undefined
}

/**
 * A request over `node:http` that reports what arrived before the connection failed, if it did; it gives up after
 * `timeoutMs` and reports `timeout`.
 */
export const raw = (
  server: LocalServer.Service,
  path: string,
  options: { readonly body?: unknown; readonly headers?: Record<string, string>; readonly timeoutMs?: number }
): Effect.Effect<RawResult> =>
  Effect.async<RawResult>((resume) => {
    const chunks: Array<Buffer> = []
    let status: number | undefined
    let settled = false
    const finish = (error: string | undefined) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resume(Effect.succeed({ status, body: Buffer.concat(chunks), error }))
    }
    const req = Http.request(`${server.root}${path}`, {
      method: options.body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...options.headers }
    }, (res) => {
      status = res.statusCode
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => finish(undefined))
      res.on("error", (error) => finish(error.message))
      res.on("aborted", () => finish("aborted"))
    })
    const timer = setTimeout(() => {
      finish("timeout")
      req.destroy()
    }, options.timeoutMs ?? 2000)
    req.on("error", (error) => finish(error.message))
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body))
    return Effect.sync(() => req.destroy())
  })
