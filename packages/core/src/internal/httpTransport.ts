import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Transport from "../Transport.js"
import { TransportError } from "../Transport.js"

const DEFAULT_HIGH_WATER_MARK = 64 * 1024

const tooLarge = (limit: number) =>
  new TransportError({ cause: new Error(`the body is larger than ${limit} bytes`), tooLarge: true })

/**
 * A body buffer between a network reader and the SDK's pulls; each pull takes everything buffered.
 *
 * @internal
 */
class Body implements Transport.Body {
  private pieces: Array<Uint8Array> = []
  private buffered = 0
  private total = 0
  private full = false
  private ended = false
  private failure: TransportError | undefined = undefined
  private wake: (() => void) | undefined = undefined

  constructor(
    private readonly maxBytes: number,
    private readonly highWaterMark: number,
    private readonly onDrain: (() => void) | undefined
  ) {}

  offer(piece: Uint8Array): boolean {
    if (this.ended || this.failure !== undefined) return false
    if (piece.length === 0) return !this.full
    this.total += piece.length
    if (this.total > this.maxBytes) {
      this.fail(tooLarge(this.maxBytes))
      return false
    }
    this.pieces.push(piece)
    this.buffered += piece.length
    if (this.buffered > this.highWaterMark) this.full = true
    this.notify()
    return !this.full
  }

  end(): void {
    this.ended = true
    this.notify()
  }

  /** Whether the body has ended or failed. */
  get done(): boolean {
    return this.ended || this.failure !== undefined
  }

  fail(error: TransportError): void {
    // a body that ended whole stays whole (an abort after its end, as the SDK releases a finished stream)
    if (this.ended) return
    this.failure ??= error
    this.notify()
  }

  private notify(): void {
    this.wake?.()
  }

  /** What is there to deliver now: buffered pieces first, then the failure or the end; `undefined` to wait. */
  private take(): Effect.Effect<Chunk.Chunk<Uint8Array> | undefined, TransportError> | undefined {
    if (this.pieces.length > 0) {
      const pieces = this.pieces
      this.pieces = []
      this.buffered = 0
      if (this.full) {
        this.full = false
        this.onDrain?.()
      }
      return Effect.succeed(Chunk.unsafeFromArray(pieces))
    }
    if (this.failure !== undefined) return Effect.fail(this.failure)
    if (this.ended) return endOfBody
    return undefined
  }

  readonly pull: Effect.Effect<Chunk.Chunk<Uint8Array> | undefined, TransportError> = Effect.suspend(() =>
    this.take() ?? Effect.async((resume) => {
      this.wake = () => {
        const next = this.take()
        if (next === undefined) return
        this.wake = undefined
        resume(next)
      }
      return Effect.sync(() => {
        this.wake = undefined
      })
    })
  )
}

const endOfBody = Effect.succeed(undefined)

/** @internal */
export const makeBody = (options: {
  readonly maxBytes?: number | undefined
  readonly highWaterMark?: number | undefined
  readonly onDrain?: (() => void) | undefined
}): Transport.Body =>
  new Body(options.maxBytes ?? Infinity, options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK, options.onDrain)

/**
 * Fails as soon as `signal` fires.
 *
 * @internal
 */
export const whenAborted = (signal: Transport.Signal): Effect.Effect<never, TransportError> =>
  Effect.async<never, TransportError>((resume) => {
    const remove = signal.onAbort(() => resume(Effect.fail(new TransportError({ cause: signal.reason }))))
    return Effect.sync(remove)
  })

/** The platform error's own cause, never the error itself: it holds the request, and so its headers. */
const fromClientError = (error: HttpClientError.HttpClientError) =>
  new TransportError({ cause: error.cause ?? new Error(`${error.reason}: ${error.description ?? "request failed"}`) })

const toRequest = (request: Transport.Request): HttpClientRequest.HttpClientRequest =>
  HttpClientRequest.make(request.method)(request.url, {
    headers: Headers.fromInput(request.headers),
    ...(request.body === undefined ? {} : { body: HttpBody.text(request.body, "application/json") })
  } as HttpClientRequest.Options.NoUrl)

const concat = (pieces: ReadonlyArray<Uint8Array>, total: number): Uint8Array => {
  if (pieces.length === 1) return pieces[0]
  const all = new Uint8Array(total)
  let offset = 0
  for (const piece of pieces) {
    all.set(piece, offset)
    offset += piece.length
  }
  return all
}

/** A response's body; a response without one (`null` body) has an empty body. */
const bodyOf = (response: HttpClientResponse.HttpClientResponse): Stream.Stream<Uint8Array, TransportError> =>
  Stream.catchAll(
    response.stream,
    (error) => error.reason === "EmptyBody" ? Stream.empty : Stream.fail(fromClientError(error))
  )

/** Reads a body in full, failing (and so cancelling the read) once it passes `maxBytes`. */
const readAll = <E>(body: Stream.Stream<Uint8Array, E>, maxBytes: number) =>
  Effect.suspend(() => {
    const pieces: Array<Uint8Array> = []
    let total = 0
    return Effect.as(
      Stream.runForEachChunk(body, (chunk) => {
        for (const piece of chunk) {
          total += piece.length
          if (total > maxBytes) return Effect.fail(tooLarge(maxBytes))
          pieces.push(piece)
        }
        return Effect.void
      }),
      undefined
    ).pipe(Effect.map(() => concat(pieces, total)))
  })

/** Redirects are never followed (a redirect to another origin would carry the key and the user id there). */
const requestInit: RequestInit = { redirect: "manual" }

/** @internal */
export const fromHttpClient = (httpClient: HttpClient.HttpClient): Transport.Service => {
  // the SDK makes its own span per call (with secrets redacted) and propagates trace context itself when asked
  const client = HttpClient.withTracerPropagation(HttpClient.withTracerDisabledWhen(httpClient, () => true), false)
  const execute = (request: Transport.Request) =>
    Effect.provideService(client.execute(toRequest(request)), FetchHttpClient.RequestInit, requestInit)
  return {
    send: (request, limits) =>
      Effect.raceFirst(
        Effect.flatMap(execute(request), (response) =>
          Effect.map(readAll(bodyOf(response), limits.maxBytes), (body): Transport.Response => ({
            status: response.status,
            headers: response.headers,
            body
          }))).pipe(
            Effect.mapError((error) =>
              error._tag === "TransportError" ? error : fromClientError(error)
            )
          ),
        whenAborted(limits.signal)
      ),
    open: (request, limits) =>
      Effect.flatMap(Effect.scope, (scope) => {
        const opening = Effect.provideService(
          Effect.provideService(HttpClient.withScope(client).execute(toRequest(request)), Scope.Scope, scope),
          FetchHttpClient.RequestInit,
          requestInit
        )
        return Effect.raceFirst(
          Effect.mapError(opening, fromClientError),
          whenAborted(limits.signal)
        ).pipe(Effect.flatMap((response) => {
          // a reader fiber feeds the buffer (pausing when the SDK falls behind); an abort fails the buffer at once
          let waiting: (() => void) | undefined
          let drainedEarly = false
          const body = makeBody({
            onDrain: () => {
              if (waiting === undefined) return void (drainedEarly = true)
              const wake = waiting
              waiting = undefined
              wake()
            }
          })
          const drained = Effect.suspend(() => {
            if (drainedEarly) {
              drainedEarly = false
              return Effect.void
            }
            return Effect.async<void>((wake) => {
              waiting = () => wake(Effect.void)
            })
          })
          const reader = Stream.runForEachChunk(bodyOf(response), (chunk) => {
            let open = true
            for (const piece of chunk) open = body.offer(piece) && open
            return open ? Effect.void : drained
          }).pipe(
            Effect.matchEffect({
              onFailure: (error) => Effect.sync(() => body.fail(error)),
              onSuccess: () => Effect.sync(() => body.end())
            })
          )
          const remove = limits.signal.onAbort(() => {
            if (!body.done) body.fail(new TransportError({ cause: limits.signal.reason }))
          })
          return Effect.as(
            Effect.zipRight(
              Scope.addFinalizer(scope, Effect.sync(remove)),
              Effect.forkIn(reader, scope)
            ),
            { status: response.status, headers: response.headers, pull: body.pull } satisfies Transport.Opened
          )
        }))
      })
  }
}

/** @internal */
export const fromContext = Effect.map(HttpClient.HttpClient, fromHttpClient)
