import { Channel, Effect, Either, Exit, FiberRef, ParseResult, Schema, Scope, Stream, type Tracer } from "effect"
import * as Chat from "../ChatCompletion.js"
import type { CallOptions } from "../ClientOptions.js"
import * as Completions from "../Completion.js"
import type { InferenceClient, RawResponse, StreamingResponse } from "../InferenceClient.js"
import * as Models from "../Model.js"
import * as Responses from "../Responses.js"
import * as ServerInfo from "../ServerInfo.js"
import type { TensormeshError } from "../TensormeshError.js"
import * as Tokenize from "../Tokenize.js"
import { normaliseCompletion } from "./chat.js"
import { invalidRequest, invalidResponse } from "./errors.js"
import {
  CONTINUE,
  notJson,
  type Signal,
  sseLines,
  sseValues,
  STOP,
  streamError,
  truncatedStream,
  valuesChannel
} from "./events.js"
import { compileDecoder, compileValidator, decoderTransforms } from "./fastSchema.js"
import { type LimitedCall, limitedCall } from "./limits.js"
import { requestParseOptions, responseParseOptions } from "./schema.js"
import type { Settings } from "./settings.js"
import { type SseEvent, textDecoder } from "./sse.js"
import {
  type Call,
  type JsonBody,
  layerCall,
  missingKey,
  openDirect,
  openStream,
  resolveCall,
  type Route,
  sendJson,
  target
} from "./transport.js"

// ---------------------------------------------------------------------------------------------------------------
// requests
// ---------------------------------------------------------------------------------------------------------------

/** Unions with null / undefined (optional, nullable fields) add noise next to the real issue: dropped when it exists. */
const isNoise = (issue: ParseResult.ArrayFormatterIssue) => /^Expected (null|undefined), actual/.test(issue.message)

const formatIssues = (error: ParseResult.ParseError): string => {
  const all = ParseResult.ArrayFormatter.formatErrorSync(error)
  const issues = all.some((issue) => !isNoise(issue)) ? all.filter((issue) => !isNoise(issue)) : all
  const shown = issues.slice(0, 5).map((issue) =>
    issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`
  )
  return `invalid request: ${shown.join("; ")}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ""}`
}

const fieldsOf = (schema: Schema.Schema.Any): ReadonlyArray<string> =>
  "fields" in schema
    ? Object.keys((schema as unknown as Schema.Struct<Schema.Struct.Fields>).fields)
    : "members" in schema
    ? (schema as unknown as Schema.Union<ReadonlyArray<Schema.Schema.Any>>).members.flatMap(fieldsOf)
    : []

/**
 * Checks a request against its schema and policy, and serialises it with `extraBody` merged in and the
 * method's own fields (`stream`, `stream_options`) set.
 */
const makeEncoder = (schema: Schema.Schema.Any) => {
  // compiled on first use, so that building a layer stays cheap; most requests are plainly valid: a compiled check
  // lets them through, and Schema has the last word on the others
  let validate: ((u: unknown) => Either.Either<unknown, ParseResult.ParseError>) | undefined
  let valid: ((u: unknown) => boolean) | undefined | null = null
  let modelled: Set<string> | undefined
  return (request: unknown, streamFields?: Record<string, unknown>): Either.Either<string, TensormeshError> => {
    if (valid === null) valid = compileValidator(schema, requestParseOptions)
    let accepted = request
    if (valid === undefined || !valid(request)) {
      validate ??= Schema.validateEither(schema as Schema.Schema<unknown>, requestParseOptions)
      const checked = validate(request)
      if (Either.isLeft(checked)) return Either.left(invalidRequest(formatIssues(checked.left), checked.left))
      accepted = checked.right
    }
    const { extraBody, ...body } = accepted as Record<string, unknown> & { extraBody?: Record<string, unknown> }
    if (extraBody !== undefined) {
      modelled ??= new Set([...fieldsOf(schema), "stream", "stream_options"])
      for (const key of Object.keys(extraBody)) {
        if (modelled.has(key)) {
          return Either.left(invalidRequest(`extraBody.${key} is a modelled field: set it on the request itself`))
        }
      }
      Object.assign(body, extraBody)
    }
    if (streamFields !== undefined) Object.assign(body, streamFields, { stream: true })
    return Either.right(JSON.stringify(body))
  }
}

const modelOf = (request: unknown): string | undefined =>
  typeof request === "object" && request !== null && typeof (request as { model?: unknown }).model === "string"
    ? (request as { model: string }).model
    : undefined

// ---------------------------------------------------------------------------------------------------------------
// responses
// ---------------------------------------------------------------------------------------------------------------

/**
 * Decodes a response body with its schema. `inPlace` (the default) lets the compiled fast path complete the JSON
 * itself (defaults), for JSON that nobody else sees; a raw response's `json` stays as received.
 */
const makeDecoder = <A, I>(schema: Schema.Schema<A, I>, post?: (a: A) => A, inPlace = true) => {
  // compiled on first use, so that building a layer stays cheap
  let decode: ((u: unknown) => Either.Either<A, ParseResult.ParseError>) | undefined
  let fast: ((u: unknown) => boolean) | undefined | null = null
  return (json: unknown, body?: JsonBody): Either.Either<A, TensormeshError> => {
    if (fast === null) {
      fast = inPlace || !decoderTransforms(schema, responseParseOptions)
        ? compileDecoder(schema, responseParseOptions)
        : undefined
    }
    if (fast !== undefined && fast(json)) return Either.right(post === undefined ? json as A : post(json as A))
    decode ??= Schema.decodeUnknownEither(schema, responseParseOptions)
    const result = decode(json)
    if (Either.isLeft(result)) {
      return Either.left(invalidResponse(
        `the response does not have the expected shape: ${formatIssues(result.left).replace("invalid request: ", "")}`,
        result.left,
        body?.status,
        body?.headers["x-request-id"]
      ))
    }
    return Either.right(post === undefined ? result.right : post(result.right))
  }
}

type Decoder<A> = ReturnType<typeof makeDecoder<A, any>>

const toRaw = <A>(body: JsonBody, decode: Decoder<A>): RawResponse<A> => ({
  status: body.status,
  headers: body.headers,
  requestId: body.headers["x-request-id"],
  json: body.json,
  parse: Effect.suspend(() => decode(body.json, body)) as RawResponse<A>["parse"]
})

const usageAttributes = (usage: unknown): Record<string, number> => {
  if (typeof usage !== "object" || usage === null) return {}
  const u = usage as Record<string, any>
  const attributes: Record<string, number> = {}
  const input = u.input_tokens ?? u.prompt_tokens
  const output = u.output_tokens ?? u.completion_tokens
  const cached = u.prompt_tokens_details?.cached_tokens ?? u.input_tokens_details?.cached_tokens
  if (typeof input === "number") attributes["gen_ai.usage.input_tokens"] = input
  if (typeof output === "number") attributes["gen_ai.usage.output_tokens"] = output
  if (typeof cached === "number") attributes["tensormesh.usage.cached_tokens"] = cached
  return attributes
}

// ---------------------------------------------------------------------------------------------------------------
// endpoints
// ---------------------------------------------------------------------------------------------------------------

interface JsonEndpoint<A> {
  readonly raw: (request: unknown, options?: CallOptions) => Effect.Effect<RawResponse<A>, TensormeshError>
  readonly create: (request: unknown, options?: CallOptions) => Effect.Effect<A, TensormeshError>
}

/** Fails before anything is sent when a keyed route has no key, or the request does not validate. */
const encodeFor = (
  settings: Settings,
  route: Route,
  encode: ReturnType<typeof makeEncoder> | undefined,
  request: unknown,
  streamFields?: Record<string, unknown>
): Either.Either<string | undefined, TensormeshError> => {
  if (route.keyed && settings.apiKey === undefined) return Either.left(missingKey(route))
  return encode === undefined ? Either.right(undefined) : encode(request, streamFields)
}

let nativeTracer: Tracer.Tracer | undefined

/**
 * Whether `tracer` is Effect's built-in tracer, which keeps its spans to itself: a span of ours under it has no
 * observer (nothing runs inside it but the SDK), so it is not worth its cost. Any other tracer gets the span.
 */
const isNativeTracer = (tracer: Tracer.Tracer): boolean => tracer === (nativeTracer ??= Effect.runSync(Effect.tracer))

/**
 * One span per call, named after the method, with the surface and the model (and, once known, the usage) as
 * attributes. `Effect.useSpan` rather than `Effect.fn`: no stack trace is captured on every call; and no span at
 * all under Effect's built-in tracer, where nobody would see it.
 */
const traced = <A, E>(
  settings: Settings,
  name: string,
  attributes: Record<string, unknown>,
  request: unknown,
  body: (span: Tracer.Span | undefined) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.tracerWith((tracer) => {
    if (isNativeTracer(tracer)) return body(undefined)
    const model = modelOf(request)
    return Effect.useSpan(
      name,
      {
        attributes: model === undefined ? attributes : { ...attributes, "gen_ai.request.model": model },
        captureStackTrace: false
      },
      // the direct transport opens no span of its own: the span need not be the parent of anything
      settings.direct === undefined ? (span) => Effect.withParentSpan(body(span), span) : body
    )
  })

/**
 * Puts the time a call waited for its limits on its span (`span`, else the current one).
 */
const annotateWait = (span: Tracer.Span | undefined, limited: LimitedCall): Effect.Effect<void> =>
  Effect.suspend(() => {
    const waited = limited.waited()
    if (waited <= 0) return Effect.void
    if (span !== undefined) return Effect.sync(() => span.attribute("tensormesh.limits.wait_ms", waited))
    return Effect.annotateCurrentSpan("tensormesh.limits.wait_ms", waited)
  })

/** The usage a streamed value carries (a chunk's `usage`, a terminal event's `response.usage`), if any. */
const usageIn = (value: unknown): unknown => {
  if (typeof value !== "object" || value === null) return undefined
  const usage = (value as { usage?: unknown }).usage
  if (usage !== undefined && usage !== null) return usage
  const response = (value as { response?: { usage?: unknown } }).response
  return typeof response === "object" && response !== null && response.usage !== null ? response.usage : undefined
}

/** A handler that also keeps the last usage its values carried, for the limits' token correction. */
const watchingUsage = <A>(handler: Handler<A>, seen: { usage: unknown }): Handler<A> => (event, out) => {
  const before = out.length
  const signal = handler(event, out)
  for (let i = before; i < out.length; i++) {
    const usage = usageIn(out[i])
    if (usage !== undefined) seen.usage = usage
  }
  return signal
}

const jsonEndpoint = <A, I>(
  settings: Settings,
  defaults: Call,
  spec: {
    readonly name: string
    readonly route: Route
    readonly params: Schema.Schema.Any | undefined
    readonly result: Schema.Schema<A, I>
    readonly post?: (a: A) => A
    /** Maps the JSON body before decoding (e.g. an empty health body). */
    readonly preprocess?: (json: unknown) => unknown
    readonly lenient?: boolean
  }
): JsonEndpoint<A> => {
  const encode = spec.params === undefined ? undefined : makeEncoder(spec.params)
  const withPreprocess = (decode: Decoder<A>): Decoder<A> =>
    spec.preprocess === undefined ? decode : (json, body) => decode(spec.preprocess!(json), body)
  const decode = withPreprocess(makeDecoder(spec.result, spec.post))
  const decodeRaw = withPreprocess(makeDecoder(spec.result, spec.post, false))
  const to = target(settings, spec.route, "application/json")
  const lenient = spec.lenient === true
  const verb = spec.route.method === "GET" ? (spec.name === "models" ? "list" : "get") : "create"
  const sendWith = (call: Call, request: unknown, body: string | undefined, span: Tracer.Span | undefined) => {
    const limited = limitedCall(settings.limitContext, call.limits, request, body)
    const sent = sendJson(settings, to, body, call, lenient, limited)
    return limited === undefined ? sent : Effect.ensuring(sent, annotateWait(span, limited))
  }
  const send = (
    request: unknown,
    options: CallOptions | undefined,
    span: Tracer.Span | undefined
  ): Effect.Effect<JsonBody, TensormeshError> =>
    Effect.suspend(() => {
      const body = encodeFor(settings, spec.route, encode, request)
      if (Either.isLeft(body)) return Effect.fail(body.left)
      return options === undefined
        ? sendWith(defaults, request, body.right, span)
        : Effect.flatMap(resolveCall(settings, options), (call) => sendWith(call, request, body.right, span))
    })
  const attributes = { "tensormesh.surface": settings.surface }
  const rawName = `Tensormesh.${spec.name}.withRawResponse.${verb}`
  const raw = (request: unknown, options?: CallOptions) =>
    traced(
      settings,
      rawName,
      attributes,
      request,
      (span) => Effect.map(send(request, options, span), (body) => toRaw(body, decodeRaw))
    )
  const createName = `Tensormesh.${spec.name}.${verb}`
  const create = (request: unknown, options?: CallOptions) =>
    traced(settings, createName, attributes, request, (span) =>
      Effect.flatMap(send(request, options, span), (body) => {
        const decoded = decode(body.json, body)
        if (Either.isLeft(decoded)) return Effect.fail(decoded.left)
        const usage = (decoded.right as { usage?: unknown }).usage
        if (span !== undefined && usage !== undefined && usage !== null) {
          const usageAttrs = usageAttributes(usage)
          for (const key in usageAttrs) span.attribute(key, usageAttrs[key])
        }
        return Effect.succeed(decoded.right)
      }))
  return { raw, create }
}

type Handler<A> = (event: SseEvent, out: Array<A>) => Signal

/** Reads what is left of a body after its terminal event (normally nothing but its end), for a second at most. */
const drainBody = (next: Effect.Effect<unknown, TensormeshError>): Effect.Effect<void> => {
  const loop: Effect.Effect<void, TensormeshError> = Effect.flatMap(
    next,
    (reads) => reads === undefined ? Effect.void : loop
  )
  return Effect.ignore(Effect.timeout(loop, "1 second"))
}

const endSpan = (span: Tracer.Span | undefined, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
  span === undefined ?
    Effect.void :
    Effect.flatMap(
      FiberRef.get(FiberRef.currentTracerTimingEnabled),
      (timing) =>
        Effect.clockWith((clock) =>
          Effect.sync(() => span.end(timing ? clock.unsafeCurrentTimeNanos() : BigInt(0), exit))
        )
    )

/** What a direct stream holds until it ends: its span, and the way to abort its exchange. */
interface DirectStreamState {
  readonly span: Tracer.Span | undefined
  abort: (() => void) | undefined
  /** With limits: the call's limits, where its slot is held until the stream ends, and the last usage seen. */
  limited?: LimitedCall | undefined
  slots?: Scope.CloseableScope | undefined
  readonly seen: { usage: unknown }
}

interface Prepared {
  readonly body: string
  readonly call: Call
  readonly limited: LimitedCall | undefined
}

const streamEndpoint = <A>(
  settings: Settings,
  defaults: Call,
  spec: {
    readonly name: string
    readonly route: Route
    readonly params: Schema.Schema.Any
    readonly streamFields: (request: any) => Record<string, unknown>
    readonly handler: () => Handler<A>
    readonly terminal: string
  }
) => {
  const encode = makeEncoder(spec.params)
  const to = target(settings, spec.route, "text/event-stream")
  /** The request's body and call, or the failure that stops it before sending. */
  const prepare = (
    request: unknown,
    options: CallOptions | undefined
  ): Effect.Effect<Prepared, TensormeshError> =>
    Effect.suspend(() => {
      const body = encodeFor(settings, spec.route, encode, request, spec.streamFields(request))
      if (Either.isLeft(body)) return Effect.fail(body.left)
      const prepared = (call: Call): Prepared => ({
        body: body.right!,
        call,
        limited: limitedCall(settings.limitContext, call.limits, request, body.right)
      })
      return options === undefined
        ? Effect.succeed(prepared(defaults))
        : Effect.map(resolveCall(settings, options), prepared)
    })
  /** Opens the response in the current scope; a slot of the limits is held until that scope closes. */
  const openPrepared = ({ body, call, limited }: Prepared) =>
    limited === undefined
      ? openStream(settings, to, body, call)
      : Effect.ensuring(openStream(settings, to, body, call, limited), annotateWait(undefined, limited))
  const open = (request: unknown, options: CallOptions | undefined) =>
    Effect.flatMap(prepare(request, options), openPrepared)
  const streamName = `Tensormesh.${spec.name}.stream`
  /**
   * Over a direct transport the whole stream is one channel: a span (ended with the stream's exit), the request,
   * then network reads decoded into values, and the exchange aborted whenever the stream ends. No scope, no
   * intermediate streams: what a stream costs before its first chunk matters when many run at once.
   */
  const directStream = (request: unknown, options: CallOptions | undefined): Stream.Stream<A, TensormeshError> => {
    const model = modelOf(request)
    const attributes = {
      "tensormesh.surface": settings.surface,
      ...(model === undefined ? {} : { "gen_ai.request.model": model })
    }
    return Stream.fromChannel(Channel.acquireUseRelease(
      Effect.tracerWith((tracer) =>
        isNativeTracer(tracer)
          ? Effect.succeed<DirectStreamState>({ span: undefined, abort: undefined, seen: { usage: undefined } })
          : Effect.map(
            Effect.makeSpan(streamName, { attributes, captureStackTrace: false }),
            (span): DirectStreamState => ({ span, abort: undefined, seen: { usage: undefined } })
          )
      ),
      (state) =>
        Channel.flatMap(
          Channel.fromEffect(
            Effect.flatMap(prepare(request, options), ({ body, call, limited }) => {
              if (limited === undefined) return openDirect<string>(settings, to, body, call, state, textDecoder)
              state.limited = limited
              return Effect.flatMap(Scope.make(), (slots) => {
                state.slots = slots
                return openDirect<string>(settings, to, body, call, state, textDecoder, limited, slots)
              })
            })
          ),
          (opened) =>
            state.limited === undefined
              ? valuesChannel(opened.next, spec.handler(), truncatedStream(spec.terminal))
              : Channel.zipLeft(
                valuesChannel(opened.next, watchingUsage(spec.handler(), state.seen), truncatedStream(spec.terminal)),
                // the slot is freed when the server is done with the response, not at its terminal event
                Channel.fromEffect(drainBody(opened.next))
              )
        ),
      (state, exit) =>
        Effect.suspend(() => {
          state.abort?.()
          const span = state.span
          const limited = state.limited
          if (limited !== undefined) {
            return Effect.zipRight(
              Effect.zipRight(
                state.slots === undefined ? Effect.void : Scope.close(state.slots, Exit.void),
                Effect.zipRight(
                  limited.used(state.seen.usage),
                  span === undefined ? Effect.void : annotateWait(span, limited)
                )
              ),
              endSpan(span, exit)
            )
          }
          return endSpan(span, exit)
        })
    ))
  }
  const stream = (request: unknown, options?: CallOptions): Stream.Stream<A, TensormeshError> => {
    if (settings.direct !== undefined) return directStream(request, options)
    const model = modelOf(request)
    return Stream.unwrapScoped(
      Effect.flatMap(prepare(request, options), (prepared) => {
        const limited = prepared.limited
        if (limited === undefined) {
          return Effect.map(
            openPrepared(prepared),
            (opened) => sseValues(opened.body, spec.handler(), truncatedStream(spec.terminal))
          )
        }
        const seen = { usage: undefined as unknown }
        return Effect.zipRight(
          Effect.addFinalizer(() => limited.used(seen.usage)),
          Effect.map(
            openPrepared(prepared),
            (opened) => sseValues(opened.body, watchingUsage(spec.handler(), seen), truncatedStream(spec.terminal))
          )
        )
      })
    ).pipe(Stream.withSpan(streamName, {
      attributes: {
        "tensormesh.surface": settings.surface,
        ...(model === undefined ? {} : { "gen_ai.request.model": model })
      },
      captureStackTrace: false
    }))
  }
  const streaming = Effect.fn(`Tensormesh.${spec.name}.withStreamingResponse.create`)(
    function*(request: unknown, options?: CallOptions) {
      const opened = yield* open(request, options)
      return {
        status: opened.status,
        headers: opened.headers,
        requestId: opened.headers["x-request-id"],
        lines: sseLines(opened.body)
      } satisfies StreamingResponse
    }
  )
  return { stream, streaming }
}

/** `stream_options.include_usage` on by default; a caller's own `stream_options` wins. */
const usageByDefault = (request: { readonly stream_options?: unknown }) =>
  request.stream_options === undefined || request.stream_options === null
    ? { stream_options: { include_usage: true } }
    : {}

/**
 * Events of data-only SSE (chat and completions): JSON chunks until `data: [DONE]`, an `{"error": …}` payload or
 * `event: error` ends the stream with `StreamError`.
 */
const chunkHandler = <A>(decode: Decoder<A>) => (): Handler<A> => (event, out) => {
  const data = event.data
  if (data === "[DONE]") return STOP
  let json: unknown
  try {
    json = JSON.parse(data)
  } catch (cause) {
    return event.event === "error" ? streamError(data, undefined) : notJson(data, cause)
  }
  if (
    event.event === "error" || (typeof json === "object" && json !== null && "error" in json && !("choices" in json))
  ) {
    return streamError(data, json)
  }
  const chunk = decode(json)
  if (Either.isLeft(chunk)) return chunk.left
  out.push(chunk.right)
  return CONTINUE
}

const responseEventTypes = new Set<string>(
  Responses.ResponseKnownEvent.members.flatMap((member) => member.fields.type.literals as ReadonlyArray<string>)
)
const terminalEvents = new Set(["response.completed", "response.incomplete", "response.failed"])

/** Events of the Responses stream, up to and including the terminal event (there is no `[DONE]`). */
const responseEventDecoder = makeDecoder(Responses.ResponseKnownEvent)

const responseEventHandler = (): Handler<Responses.ResponseStreamEvent> => {
  const decode = responseEventDecoder
  return (event, out) => {
    const data = event.data
    if (data === "[DONE]") return STOP
    let json: unknown
    try {
      json = JSON.parse(data)
    } catch (cause) {
      return event.event === "error" ? streamError(data, undefined) : notJson(data, cause)
    }
    const type = typeof json === "object" && json !== null && typeof (json as { type?: unknown }).type === "string"
      ? (json as { type: string }).type
      : event.event ?? "message"
    if (type === "error" || event.event === "error") return streamError(data, json)
    if (!responseEventTypes.has(type)) {
      out.push({ type: "unknown", event: type, data: json })
      return CONTINUE
    }
    const decoded = decode(json)
    if (Either.isLeft(decoded)) return decoded.left
    out.push(decoded.right)
    return terminalEvents.has(type) ? STOP : CONTINUE
  }
}

const post = (path: string, root = false): Route => ({ method: "POST", path, root, keyed: true })
const get = (path: string, root = false): Route => ({ method: "GET", path, root, keyed: false })

/**
 * Builds the eight namespaces over one set of settings.
 *
 * @internal
 */
export const make = (settings: Settings): InferenceClient => {
  const defaults = layerCall(settings)
  const chatCreate = jsonEndpoint(settings, defaults, {
    name: "chat.completions",
    route: post("/chat/completions"),
    params: Chat.ChatCompletionCreateParams,
    result: Chat.ChatCompletion,
    post: (completion) => normaliseCompletion(completion, settings.stripThinking)
  })
  const chatStream = streamEndpoint(settings, defaults, {
    name: "chat.completions",
    route: post("/chat/completions"),
    params: Chat.ChatCompletionCreateParams,
    streamFields: usageByDefault,
    handler: chunkHandler(makeDecoder(Chat.ChatCompletionChunk)),
    terminal: "data: [DONE]"
  })
  const completionCreate = jsonEndpoint(settings, defaults, {
    name: "completions",
    route: post("/completions"),
    params: Completions.CompletionCreateParams,
    result: Completions.Completion
  })
  const completionStream = streamEndpoint(settings, defaults, {
    name: "completions",
    route: post("/completions"),
    params: Completions.CompletionCreateParams,
    streamFields: usageByDefault,
    handler: chunkHandler(makeDecoder(Completions.CompletionChunk)),
    terminal: "data: [DONE]"
  })
  const responseCreate = jsonEndpoint(settings, defaults, {
    name: "responses",
    route: post("/responses"),
    params: Responses.ResponseCreateParams,
    result: Responses.Response
  })
  const responseStream = streamEndpoint(settings, defaults, {
    name: "responses",
    route: post("/responses"),
    params: Responses.ResponseCreateParams,
    streamFields: () => ({}),
    handler: responseEventHandler,
    terminal: "its terminal event (response.completed, response.incomplete or response.failed)"
  })
  const models = jsonEndpoint(settings, defaults, {
    name: "models",
    route: get("/models"),
    params: undefined,
    result: Models.ModelList
  })
  const tokenize = jsonEndpoint(settings, defaults, {
    name: "tokenize",
    route: post("/tokenize", true),
    params: Tokenize.TokenizeParams,
    result: Tokenize.TokenizeResult
  })
  const detokenize = jsonEndpoint(settings, defaults, {
    name: "detokenize",
    route: post("/detokenize", true),
    params: Tokenize.DetokenizeParams,
    result: Tokenize.DetokenizeResult
  })
  const health = jsonEndpoint(settings, defaults, {
    name: "health",
    route: get("/health", true),
    params: undefined,
    result: ServerInfo.Health,
    lenient: true,
    preprocess: (json) =>
      typeof json === "object" && json !== null && typeof (json as { status?: unknown }).status === "string"
        ? json
        : { ...(typeof json === "object" && json !== null ? json : {}), status: "ok" }
  })
  const version = jsonEndpoint(settings, defaults, {
    name: "version",
    route: get("/version", true),
    params: undefined,
    result: ServerInfo.Version
  })
  const streaming = <P, A, E>(
    create: JsonEndpoint<A>,
    s: ReturnType<typeof streamEndpoint<E>>
  ) => ({
    create: create.create as (request: P, options?: CallOptions) => Effect.Effect<A, TensormeshError>,
    stream: s.stream as (request: P, options?: CallOptions) => Stream.Stream<E, TensormeshError>,
    withRawResponse: {
      create: create.raw as (request: P, options?: CallOptions) => Effect.Effect<RawResponse<A>, TensormeshError>
    },
    withStreamingResponse: { create: s.streaming }
  })
  const creating = <P, A>(e: JsonEndpoint<A>) => ({
    create: e.create as (request: P, options?: CallOptions) => Effect.Effect<A, TensormeshError>,
    withRawResponse: {
      create: e.raw as (request: P, options?: CallOptions) => Effect.Effect<RawResponse<A>, TensormeshError>
    }
  })
  const getting = <A>(e: JsonEndpoint<A>) => ({
    get: (options?: CallOptions) => e.create(undefined, options),
    withRawResponse: { get: (options?: CallOptions) => e.raw(undefined, options) }
  })
  return {
    surface: settings.surface,
    chat: {
      completions: streaming<Chat.ChatCompletionCreateParams, Chat.ChatCompletion, Chat.ChatCompletionChunk>(
        chatCreate,
        chatStream
      )
    },
    completions: streaming<Completions.CompletionCreateParams, Completions.Completion, Completions.CompletionChunk>(
      completionCreate,
      completionStream
    ),
    responses: streaming<Responses.ResponseCreateParams, Responses.Response, Responses.ResponseStreamEvent>(
      responseCreate,
      responseStream
    ),
    models: {
      list: (options?: CallOptions) => models.create(undefined, options),
      withRawResponse: { list: (options?: CallOptions) => models.raw(undefined, options) }
    },
    tokenize: creating<Tokenize.TokenizeParams, Tokenize.TokenizeResult>(tokenize),
    detokenize: creating<Tokenize.DetokenizeParams, Tokenize.DetokenizeResult>(detokenize),
    health: getting(health),
    version: getting(version)
  }
}
