// Hostile requests against the local server (issue 11, items 7 and 8), measured: what each gets, how long it took,
// how much the heap grew, and how long `/health` took right after. Run by scripts/reliability.ts; the assertions on
// the same probes are in localServerLimits.test.ts.
import { Duration, Effect } from "effect"
import * as Http from "node:http"
import * as LocalServer from "../../src/LocalServer.js"

export interface Probe {
  readonly name: string
  readonly outcome: string
  readonly millis: number
  readonly heapMiB: number
  readonly healthMillis: number
}

const KEY = "probe-key"

interface Sent {
  readonly status: number | undefined
  readonly body: string
}

/** A POST whose body is `size` bytes produced in 64 KiB writes (never built whole), chunked or with its length. */
const upload = (
  server: LocalServer.Service,
  path: string,
  prefix: string,
  size: number,
  suffix: string,
  declared: boolean
) =>
  Effect.async<Sent>((resume) => {
    let done = false
    let sent = 0
    const chunk = Buffer.alloc(64 * 1024, "a")
    const total = prefix.length + size + suffix.length
    const req = Http.request(`${server.root}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${KEY}`,
        "content-type": "application/json",
        ...(declared ? { "content-length": String(total) } : {})
      }
    }, (res) => {
      done = true
      const parts: Array<Buffer> = []
      res.on("data", (part: Buffer) => parts.push(part))
      res.on("end", () => {
        req.destroy()
        resume(Effect.succeed({ status: res.statusCode, body: Buffer.concat(parts).toString() }))
      })
    })
    req.on("error", () => {
      if (!done) resume(Effect.succeed({ status: undefined, body: "" }))
    })
    req.write(prefix)
    const pump = () => {
      while (!done && sent < size) {
        const part = size - sent >= chunk.length ? chunk : chunk.subarray(0, size - sent)
        sent += part.length
        if (!req.write(part)) return void req.once("drain", pump)
      }
      if (!done) req.end(suffix)
    }
    pump()
    return Effect.sync(() => req.destroy())
  })

const post = (server: LocalServer.Service, path: string, body: string) =>
  Effect.promise(async (): Promise<Sent> => {
    const response = await fetch(`${server.root}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body
    })
    return { status: response.status, body: await response.text() }
  })

/** A stream read one chunk, then paused for `pauseMillis`: the heap growth while the reader does not read. */
const pausedReader = (server: LocalServer.Service, body: string, pauseMillis: number) =>
  Effect.async<Sent>((resume) => {
    const req = Http.request(`${server.root}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }
    }, (res) => {
      res.once("data", () => {
        res.pause()
        setTimeout(() => {
          req.destroy()
          resume(Effect.succeed({ status: res.statusCode, body: "(paused)" }))
        }, pauseMillis)
      })
    })
    req.end(body)
    return Effect.sync(() => req.destroy())
  })

const outcomeOf = (sent: Sent): string => {
  if (sent.status === undefined) return "connection failed"
  if (sent.status < 400) return `${sent.status}`
  try {
    const error = JSON.parse(sent.body).error
    return `${sent.status} ${error.type}: ${String(error.message).slice(0, 90)}`
  } catch {
    return `${sent.status}`
  }
}

const measure = (server: LocalServer.Service, name: string, run: Effect.Effect<Sent>) =>
  Effect.gen(function*() {
    const heapBefore = process.memoryUsage().heapUsed
    let peak = heapBefore
    const sampler = setInterval(() => void (peak = Math.max(peak, process.memoryUsage().heapUsed)), 10)
    const [took, sent] = yield* Effect.timed(run)
    clearInterval(sampler)
    peak = Math.max(peak, process.memoryUsage().heapUsed)
    const [health] = yield* Effect.timed(Effect.promise(() => fetch(`${server.root}/health`)))
    return {
      name,
      outcome: outcomeOf(sent),
      millis: Math.round(Duration.toMillis(took)),
      heapMiB: Math.round((peak - heapBefore) / 1024 / 1024),
      healthMillis: Math.round(Duration.toMillis(health))
    } satisfies Probe
  })

const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i % 10}`).join(" ")
const chatBody = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "openai/gpt-oss-20b", messages: [{ role: "user", content }], ...extra })

/** Runs every probe against a fresh server (default options, plus one with a 256 MiB body limit). */
export const probes: Effect.Effect<ReadonlyArray<Probe>> = Effect.scoped(Effect.gen(function*() {
  const server = yield* Effect.orDie(LocalServer.make({ apiKeys: [KEY] }))
  const roomy = yield* Effect.orDie(LocalServer.make({ apiKeys: [KEY], maxRequestBytes: 256 * 1024 * 1024 }))
  const chatPrefix = "{\"model\":\"tensormesh/echo\",\"messages\":[{\"role\":\"user\",\"content\":\""
  const out: Array<Probe> = []
  out.push(
    yield* measure(
      server,
      "100 MB chat body, with its Content-Length",
      upload(server, "/v1/chat/completions", chatPrefix, 100_000_000, "\"}]}", true)
    )
  )
  out.push(
    yield* measure(
      server,
      "600 MiB chat body, chunked (no length)",
      upload(server, "/v1/chat/completions", chatPrefix, 600 * 1024 * 1024, "\"}]}", false)
    )
  )
  out.push(
    yield* measure(
      server,
      "streamed chat, n: 128, 20k-word prompt",
      post(server, "/v1/chat/completions", chatBody(words(20_000), { n: 128, stream: true }))
    )
  )
  out.push(
    yield* measure(
      server,
      "completions, 1,000 prompts × n: 128",
      post(
        server,
        "/v1/completions",
        JSON.stringify({ model: "tensormesh/echo", prompt: Array.from({ length: 1000 }, () => "Hi"), n: 128 })
      )
    )
  )
  out.push(
    yield* measure(
      server,
      "streamed chat, n: 3, 20k-word prompt (~210k frames), reader paused 1 s",
      pausedReader(server, chatBody(words(20_000), { n: 3, stream: true }), 1000)
    )
  )
  out.push(
    yield* measure(
      roomy,
      "/tokenize, 100 MB prompt (body limit raised to 256 MiB)",
      upload(roomy, "/tokenize", "{\"model\":\"tensormesh/echo\",\"prompt\":\"", 100_000_000, "\"}", true)
    )
  )
  out.push(
    yield* measure(
      server,
      "/tokenize, 100 MB prompt (default limit)",
      upload(server, "/tokenize", "{\"model\":\"tensormesh/echo\",\"prompt\":\"", 100_000_000, "\"}", true)
    )
  )
  for (const [field, value] of [["temperature", "1e999"], ["top_p", "-5"], ["top_p", "-1e999"]] as const) {
    out.push(
      yield* measure(
        server,
        `chat with ${field}: ${value}`,
        post(server, "/v1/chat/completions", chatBody("Hi").replace(/}$/, `,"${field}":${value}}`))
      )
    )
  }
  return out
}))
