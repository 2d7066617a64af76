import { Effect, Either, ParseResult, Schema, Stream } from "effect"
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
  eventLoop,
  notJson,
  type Signal,
  sseEvents,
  sseLines,
  STOP,
  streamError,
  truncatedStream
} from "./events.js"
import { requestParseOptions, responseParseOptions } from "./schema.js"
import type { Settings } from "./settings.js"
import type { SseEvent } from "./sse.js"
import { type JsonBody, readJson, requireKey, resolveCall, type Route, send, sendStreaming } from "./transport.js"

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
  const validate = Schema.validateEither(schema as Schema.Schema<unknown>, requestParseOptions)
  const modelled = new Set([...fieldsOf(schema), "stream", "stream_options"])
  return (request: unknown, streamFields?: Record<string, unknown>): Either.Either<string, TensormeshError> => {
    const checked = validate(request)
    if (Either.isLeft(checked)) return Either.left(invalidRequest(formatIssues(checked.left), checked.left))
    const { extraBody, ...body } = checked.right as Record<string, unknown> & { extraBody?: Record<string, unknown> }
    if (extraBody !== undefined) {
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

const makeDecoder = <A, I>(schema: Schema.Schema<A, I>, post?: (a: A) => A) => {
  const decode = Schema.decodeUnknownEither(schema, responseParseOptions)
  return (json: unknown, status?: number, requestId?: string): Either.Either<A, TensormeshError> => {
    const result = decode(json)
    if (Either.isLeft(result)) {
      return Either.left(invalidResponse(
        `the response does not have the expected shape: ${formatIssues(result.left).replace("invalid request: ", "")}`,
        result.left,
        status,
        requestId
      ))
    }
    return Either.right(post === undefined ? result.right : post(result.right))
  }
}

const toRaw = <A>(body: JsonBody, decode: ReturnType<typeof makeDecoder<A, any>>): RawResponse<A> => {
  const requestId = body.headers["x-request-id"]
  return {
    status: body.status,
    headers: body.headers,
    requestId,
    json: body.json,
    parse: Effect.suspend(() => decode(body.json, body.status, requestId)) as RawResponse<A>["parse"]
  }
}

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

const jsonEndpoint = <A, I>(
  settings: Settings,
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
  const decode = makeDecoder(spec.result, spec.post)
  const decodeJson = spec.preprocess === undefined
    ? decode
    : (json: unknown, status?: number, requestId?: string) => decode(spec.preprocess!(json), status, requestId)
  const verb = spec.route.method === "GET" ? (spec.name === "models" ? "list" : "get") : "create"
  const rawOnce = (request: unknown, options: CallOptions | undefined) =>
    Effect.gen(function*() {
      yield* requireKey(settings, spec.route)
      const body = encode === undefined ? undefined : yield* encode(request)
      const call = yield* resolveCall(settings, options)
      const json = yield* send(settings, spec.route, body, call, "application/json", (r) => readJson(r, spec.lenient))
      return toRaw(json, decodeJson)
    })
  const attributes = { "tensormesh.surface": settings.surface }
  const raw = Effect.fn(`Tensormesh.${spec.name}.withRawResponse.${verb}`)(
    function*(request: unknown, options?: CallOptions) {
      const model = modelOf(request)
      yield* Effect.annotateCurrentSpan(
        model === undefined ? attributes : { ...attributes, "gen_ai.request.model": model }
      )
      return yield* rawOnce(request, options)
    }
  )
  const create = Effect.fn(`Tensormesh.${spec.name}.${verb}`)(function*(request: unknown, options?: CallOptions) {
    const model = modelOf(request)
    yield* Effect.annotateCurrentSpan(
      model === undefined ? attributes : { ...attributes, "gen_ai.request.model": model }
    )
    const response = yield* rawOnce(request, options)
    const value = yield* response.parse
    const usage = (value as { usage?: unknown }).usage
    if (usage !== undefined && usage !== null) yield* Effect.annotateCurrentSpan(usageAttributes(usage))
    return value
  })
  return { raw, create }
}

type Handler<A> = (event: SseEvent, out: Array<A>) => Signal

const streamEndpoint = <A>(
  settings: Settings,
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
  const open = (request: unknown, options: CallOptions | undefined) =>
    Effect.gen(function*() {
      yield* requireKey(settings, spec.route)
      const body = yield* encode(request, spec.streamFields(request))
      const call = yield* resolveCall(settings, options)
      const response = yield* sendStreaming(settings, spec.route, body, call)
      return { response, call }
    })
  const stream = (request: unknown, options?: CallOptions): Stream.Stream<A, TensormeshError> => {
    const model = modelOf(request)
    return Stream.unwrapScoped(
      Effect.map(open(request, options), ({ call, response }) =>
        sseEvents(response, call.idleTimeout).pipe(
          Stream.pipeThroughChannel(eventLoop(spec.handler(), truncatedStream(spec.terminal)))
        ))
    ).pipe(Stream.withSpan(`Tensormesh.${spec.name}.stream`, {
      attributes: {
        "tensormesh.surface": settings.surface,
        ...(model === undefined ? {} : { "gen_ai.request.model": model })
      }
    }))
  }
  const streaming = Effect.fn(`Tensormesh.${spec.name}.withStreamingResponse.create`)(
    function*(request: unknown, options?: CallOptions) {
      const { call, response } = yield* open(request, options)
      return {
        status: response.status,
        headers: response.headers,
        requestId: response.headers["x-request-id"],
        lines: sseLines(response, call.idleTimeout)
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
const chunkHandler = <A>(decode: ReturnType<typeof makeDecoder<A, any>>) => (): Handler<A> => (event, out) => {
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
const responseEventHandler = (): Handler<Responses.ResponseStreamEvent> => {
  const decode = makeDecoder(Responses.ResponseKnownEvent)
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
  const chatCreate = jsonEndpoint(settings, {
    name: "chat.completions",
    route: post("/chat/completions"),
    params: Chat.ChatCompletionCreateParams,
    result: Chat.ChatCompletion,
    post: (completion) => normaliseCompletion(completion, settings.stripThinking)
  })
  const chatStream = streamEndpoint(settings, {
    name: "chat.completions",
    route: post("/chat/completions"),
    params: Chat.ChatCompletionCreateParams,
    streamFields: usageByDefault,
    handler: chunkHandler(makeDecoder(Chat.ChatCompletionChunk)),
    terminal: "data: [DONE]"
  })
  const completionCreate = jsonEndpoint(settings, {
    name: "completions",
    route: post("/completions"),
    params: Completions.CompletionCreateParams,
    result: Completions.Completion
  })
  const completionStream = streamEndpoint(settings, {
    name: "completions",
    route: post("/completions"),
    params: Completions.CompletionCreateParams,
    streamFields: usageByDefault,
    handler: chunkHandler(makeDecoder(Completions.CompletionChunk)),
    terminal: "data: [DONE]"
  })
  const responseCreate = jsonEndpoint(settings, {
    name: "responses",
    route: post("/responses"),
    params: Responses.ResponseCreateParams,
    result: Responses.Response
  })
  const responseStream = streamEndpoint(settings, {
    name: "responses",
    route: post("/responses"),
    params: Responses.ResponseCreateParams,
    streamFields: () => ({}),
    handler: responseEventHandler,
    terminal: "its terminal event (response.completed, response.incomplete or response.failed)"
  })
  const models = jsonEndpoint(settings, {
    name: "models",
    route: get("/models"),
    params: undefined,
    result: Models.ModelList
  })
  const tokenize = jsonEndpoint(settings, {
    name: "tokenize",
    route: post("/tokenize", true),
    params: Tokenize.TokenizeParams,
    result: Tokenize.TokenizeResult
  })
  const detokenize = jsonEndpoint(settings, {
    name: "detokenize",
    route: post("/detokenize", true),
    params: Tokenize.DetokenizeParams,
    result: Tokenize.DetokenizeResult
  })
  const health = jsonEndpoint(settings, {
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
  const version = jsonEndpoint(settings, {
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
