import * as PlatformHeaders from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Layer } from "effect"
import { Transport } from "../../src/index.js"

/** A request as the mocked transport saw it (after every SDK middleware). */
export interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | undefined
  readonly json: any
  readonly signal: AbortSignal
}

export type Handler = (request: Seen, attempt: number) => Response | undefined | Promise<Response | undefined>

const decoder = new TextDecoder()

/**
 * A transport that records every request and answers from `handler`; `undefined` means the server never answers.
 */
export const mockTransport = (handler: Handler) => {
  const seen: Array<Seen> = []
  const client = HttpClient.make((request, url, signal) =>
    Effect.suspend(() => {
      const body = request.body._tag === "Uint8Array" ? decoder.decode(request.body.body) : undefined
      const record: Seen = {
        method: request.method,
        url: url.toString(),
        headers: request.headers,
        body,
        json: body === undefined ? undefined : JSON.parse(body),
        signal
      }
      seen.push(record)
      return Effect.flatMap(
        Effect.tryPromise({
          try: async () => await handler(record, seen.length),
          catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
        }),
        (response) =>
          response === undefined ? Effect.never : Effect.succeed(HttpClientResponse.fromWeb(request, response))
      )
    })
  )
  return { seen, client, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

export const json = (body: unknown, init?: ResponseInit) =>
  new Response(JSON.stringify(body), { ...init, headers: { "content-type": "application/json", ...init?.headers } })

const encoder = new TextEncoder()

/** An SSE body from pieces, each piece one network read. */
export const sse = (pieces: ReadonlyArray<string | Uint8Array>, init?: ResponseInit) =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces) controller.enqueue(typeof piece === "string" ? encoder.encode(piece) : piece)
        controller.close()
      }
    }),
    { ...init, headers: { "content-type": "text/event-stream", ...init?.headers } }
  )

/** An SSE body that sends `pieces` and then never ends (until the request is aborted). */
export const sseThenStall = (pieces: ReadonlyArray<string>, signal: AbortSignal) =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces) controller.enqueue(encoder.encode(piece))
        signal.addEventListener("abort", () => controller.error(new Error("aborted")))
      }
    }),
    { headers: { "content-type": "text/event-stream" } }
  )

export const data = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`

/**
 * A `Transport` (the SDK's seam) over the same `Handler` as `mockTransport`: the handler's web `Response` is read
 * through the seam's operations, and the seam's abort signal cancels it.
 */
export const mockSeam = (handler: Handler) => {
  const seen: Array<Seen> = []
  const respond = (request: Transport.Request, seamSignal: Transport.Signal) => {
    const signal = Transport.toAbortSignal(seamSignal)
    const record: Seen = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: request.body,
      json: request.body === undefined ? undefined : JSON.parse(request.body),
      signal
    }
    seen.push(record)
    return Effect.flatMap(
      Effect.tryPromise({
        try: async () => await handler(record, seen.length),
        catch: (cause) => new Transport.TransportError({ cause })
      }),
      (response) => response === undefined ? Effect.never : Effect.succeed(response)
    ).pipe(Effect.raceFirst(abortedBy(signal)))
  }
  const headersOf = (response: Response) => {
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => headers[name] = value)
    return PlatformHeaders.fromInput(headers)
  }
  const service: Transport.Service = {
    send: (request, limits) =>
      Effect.flatMap(respond(request, limits.signal), (response) =>
        Effect.map(
          Effect.promise(async () => new Uint8Array(await response.arrayBuffer())),
          (body): Transport.Response => ({ status: response.status, headers: headersOf(response), body })
        )),
    open: (request, limits) =>
      Effect.flatMap(respond(request, limits.signal), (response) =>
        Effect.gen(function*() {
          const controller = new AbortController()
          yield* Effect.addFinalizer(() => Effect.sync(() => controller.abort()))
          const body = Transport.makeBody({})
          const reader = response.body?.getReader()
          const cancel = () => {
            body.fail(new Transport.TransportError({ cause: new Error("aborted") }))
            void reader?.cancel().catch(() => {})
          }
          limits.signal.onAbort(cancel)
          controller.signal.addEventListener("abort", cancel)
          void (async () => {
            if (reader === undefined) return body.end()
            try {
              for (;;) {
                const { done, value } = await reader.read()
                if (done) return body.end()
                body.offer(value)
              }
            } catch (cause) {
              body.fail(new Transport.TransportError({ cause }))
            }
          })()
          return { status: response.status, headers: headersOf(response), pull: body.pull } satisfies Transport.Opened
        }))
  }
  return { seen, service, layer: Layer.succeed(Transport.Transport, service) }
}

const abortedBy = (signal: AbortSignal) =>
  Effect.async<never, Transport.TransportError>((resume) => {
    const onAbort = () => resume(Effect.fail(new Transport.TransportError({ cause: new Error("aborted") })))
    if (signal.aborted) return onAbort()
    signal.addEventListener("abort", onAbort, { once: true })
    return Effect.sync(() => signal.removeEventListener("abort", onAbort))
  })
