import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { CallOptions } from "../ClientOptions.js"
import type { RawResponse, StreamingResponse } from "../InferenceClient.js"
import type { TensormeshError, UpstreamError, ValidationIssue } from "../TensormeshError.js"
import { invalidRequest, invalidResponse, MAX_ISSUES } from "./errors.js"
import { type Handler, truncatedStream } from "./events.js"
import { compileDecoder, compileValidator, decoderTransforms } from "./fastSchema.js"
import { annotateWait, type LimitedCall, limitedCall } from "./limits.js"
import {
  type Call,
  type JsonBody,
  missingKey,
  openLines,
  openValues,
  resolveCall,
  type Route,
  sendJson,
  type StreamCall,
  streamValues,
  target
} from "./pipeline.js"
import { requestParseOptions, responseParseOptions, wireEncoding } from "./schema.js"
import type { Settings } from "./settings.js"
import { withCall } from "./span.js"
import { checkStreamFlag } from "./streamFlag.js"
import { annotateResponse, type CallRecord, requestSpan, spanTemplate } from "./telemetry.js"

// Typed endpoint descriptors (one file per API resource under `resources/`) and the endpoints built from them over
// the pipeline. A descriptor pairs a route with its request and response schemas: the request and response types of
// the endpoint are those of its schemas.

/**
 * An endpoint answering with one JSON body.
 *
 * @internal
 */
export interface JsonDescriptor<P, A> {
  /** The namespace, as in span names: `chat.completions`, `models`, … */
  readonly name: string
  readonly verb: "create" | "list" | "get"
  readonly route: Route
  /** The request schema; `undefined` for routes without a body. */
  readonly params: Schema.Schema<P, any> | undefined
  readonly result: Schema.Schema<A, any>
  /** Normalises the decoded value (e.g. leaked `<think>` blocks). */
  readonly post?: ((a: A, settings: Settings) => A) | undefined
  /** Maps the JSON body before decoding (e.g. an empty health body). */
  readonly preprocess?: ((json: unknown) => unknown) | undefined
  /** A body that is not JSON reads as none, rather than failing. */
  readonly lenient?: boolean | undefined
}

/**
 * An endpoint answering with an SSE stream.
 *
 * @internal
 */
export interface StreamDescriptor<P, E> {
  readonly name: string
  readonly route: Route
  readonly params: Schema.Schema<P, any>
  /** Body fields the streaming call sets (`stream: true` is always set). */
  readonly streamFields: (request: P) => Record<string, unknown>
  /** A fresh handler per stream (handlers may keep state); `secrets` are scrubbed from the errors it reports. */
  readonly handler: (secrets: ReadonlyArray<string>) => Handler<E>
  /** What the stream ends with, for the `StreamTruncated` message. */
  readonly terminal: string
}

/** @internal */
export const post = (path: string, root = false): Route => ({ method: "POST", path, root, keyed: true })

/** @internal */
export const get = (path: string, root = false): Route => ({ method: "GET", path, root, keyed: false })

// ---------------------------------------------------------------------------------------------------------------
// requests
// ---------------------------------------------------------------------------------------------------------------

/** Unions with null / undefined (optional, nullable fields) add noise next to the real issue: dropped when it exists. */
const isNoise = (issue: ParseResult.ArrayFormatterIssue) => /^Expected (null|undefined), actual/.test(issue.message)

/** An issue's message is kept to this many characters (Schema quotes the actual value, which the caller controls). */
const MAX_ISSUE_MESSAGE = 300

const boundMessage = (message: string) =>
  message.length <= MAX_ISSUE_MESSAGE ? message : `${message.slice(0, MAX_ISSUE_MESSAGE)}… (truncated)`

/**
 * The real problems of a parse error, one per path and message (noise dropped, at most `MAX_ISSUES`), and the text
 * that lists the first five.
 */
/** @internal */
export const issuesOf = (error: ParseResult.ParseError): {
  readonly issues: ReadonlyArray<ValidationIssue>
  readonly text: string
} => {
  const all = ParseResult.ArrayFormatter.formatErrorSync(error)
  const real = all.some((issue) => !isNoise(issue)) ? all.filter((issue) => !isNoise(issue)) : all
  const seen = new Set<string>()
  const issues: Array<ValidationIssue> = []
  for (const issue of real) {
    const path = issue.path.map((key) => typeof key === "number" ? key : String(key))
    const message = boundMessage(issue.message)
    const key = `${path.join("\u0000")}\u0001${message}`
    if (seen.has(key)) continue
    seen.add(key)
    if (issues.length < MAX_ISSUES) issues.push({ path, message })
  }
  const shown = issues.slice(0, 5).map((issue) =>
    issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`
  )
  return {
    issues,
    text: `${shown.join("; ")}${seen.size > 5 ? ` (and ${seen.size - 5} more)` : ""}`
  }
}

const formatIssues = (error: ParseResult.ParseError): string => issuesOf(error).text

/** The top-level field names a request schema models (a struct's keys, or every member's of a union). */
const fieldsOf = (ast: Schema.Schema.Any["ast"]): ReadonlyArray<string> => {
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.propertySignatures.map((signature) => String(signature.name))
    case "Union":
      return ast.types.flatMap(fieldsOf)
    case "Refinement":
      return fieldsOf(ast.from)
    case "Transformation":
      return fieldsOf(ast.to)
    default:
      return []
  }
}

/** Checks a request (schema and policy) and serialises it, `extraBody` merged in and the stream fields set. */
type Encoder = (request: unknown, streamFields?: Record<string, unknown>) => Either.Either<string, TensormeshError>

const makeEncoder = <P>(schema: Schema.Schema<P, any>): Encoder => {
  // compiled on first use, so that building a layer stays cheap; most requests are plainly valid: a compiled check
  // lets them through, and Schema has the last word on the others
  let validate: ((u: unknown) => Either.Either<P, ParseResult.ParseError>) | undefined
  let valid: ((u: unknown) => boolean) | undefined | null = null
  let modelled: Set<string> | undefined
  // what is sent of a valid request (e.g. a returned assistant message without its output-only fields)
  const wire = wireEncoding(schema)
  return (request, streamFields) => {
    if (valid === null) valid = compileValidator(schema, requestParseOptions)
    let accepted: unknown = request
    if (valid === undefined || !valid(request)) {
      validate ??= Schema.validateEither(schema, requestParseOptions)
      const checked = validate(request)
      if (Either.isLeft(checked)) {
        const { issues, text } = issuesOf(checked.left)
        return Either.left(invalidRequest(text, checked.left, issues))
      }
      accepted = checked.right
    }
    const { extraBody, ...body } = (wire === undefined ? accepted : wire(accepted)) as Record<string, unknown> & {
      extraBody?: Record<string, unknown>
    }
    if (extraBody !== undefined) {
      modelled ??= new Set([...fieldsOf(schema.ast), "stream", "stream_options"])
      for (const key of Object.keys(extraBody)) {
        if (modelled.has(key)) {
          return Either.left(
            invalidRequest(`extraBody.${key} is a modelled field: set it on the request itself`, undefined, [
              { path: ["extraBody", key], message: "is a modelled field: set it on the request itself" }
            ])
          )
        }
      }
      Object.assign(body, extraBody)
    }
    if (streamFields !== undefined) Object.assign(body, streamFields, { stream: true })
    let text: string
    try {
      text = JSON.stringify(body)
    } catch {
      // a BigInt, a cycle or a depth the serialiser cannot take
      return Either.left(invalidRequest(`invalid request: ${jsonProblem(body) ?? "the body cannot be serialised"}`))
    }
    // JSON.stringify writes NaN and ±Infinity as null: only a body with a null can hold one, so only then look
    if (text.includes("null")) {
      const problem = jsonProblem(body)
      if (problem !== undefined) return Either.left(invalidRequest(`invalid request: ${problem}`))
    }
    return Either.right(text)
  }
}

const MAX_DEPTH = 256

/**
 * The first value of a request body that JSON cannot carry as given (a non-finite number, a BigInt, nesting past
 * 256 levels), with its path; linear, without recursion.
 */
const jsonProblem = (body: unknown): string | undefined => {
  type Frame = { readonly value: unknown; readonly path: string; readonly depth: number; readonly exit?: true }
  const stack: Array<Frame> = [{ value: body, path: "", depth: 0 }]
  // the objects on the current path: meeting one again is a cycle (a shared, acyclic value is fine)
  const ancestors = new Set<object>()
  while (stack.length > 0) {
    const frame = stack.pop()!
    const { depth, path, value } = frame
    if (frame.exit === true) {
      ancestors.delete(value as object)
      continue
    }
    const where = path === "" ? "the body" : path
    if (typeof value === "number" && !Number.isFinite(value)) return `${where}: ${value} is not a finite number`
    if (typeof value === "bigint") return `${where}: a BigInt cannot be sent as JSON`
    if (typeof value !== "object" || value === null) continue
    if (depth >= MAX_DEPTH) return `${where}: nested deeper than ${MAX_DEPTH} levels`
    if (ancestors.has(value)) return `${where}: a cycle`
    ancestors.add(value)
    stack.push({ value, path, depth, exit: true })
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], path: `${path}.${i}`, depth: depth + 1 })
      }
    } else {
      for (const key of Object.keys(value).reverse()) {
        const child = (value as Record<string, unknown>)[key]
        stack.push({ value: child, path: path === "" ? key : `${path}.${key}`, depth: depth + 1 })
      }
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// responses
// ---------------------------------------------------------------------------------------------------------------

/** Decodes a JSON value, failing with `InvalidResponse`. */
export type Decoder<A> = (json: unknown, body?: JsonBody) => Either.Either<A, UpstreamError>

/**
 * Decodes a response body with its schema. `inPlace` (the default) lets the compiled fast path complete the JSON
 * itself (defaults), for JSON that nobody else sees; a raw response's `json` stays as received.
 *
 * @internal
 */
export const makeDecoder = <A>(schema: Schema.Schema<A, any>, post?: (a: A) => A, inPlace = true): Decoder<A> => {
  // compiled on first use, so that building a layer stays cheap
  let decode: ((u: unknown) => Either.Either<A, ParseResult.ParseError>) | undefined
  let fast: ((u: unknown) => boolean) | undefined | null = null
  return (json, body) => {
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
        `the response does not have the expected shape: ${formatIssues(result.left)}`,
        result.left,
        body?.status,
        body?.headers["x-request-id"]
      ))
    }
    return Either.right(post === undefined ? result.right : post(result.right))
  }
}

// ---------------------------------------------------------------------------------------------------------------
// endpoints
// ---------------------------------------------------------------------------------------------------------------

/** @internal */
export interface JsonEndpoint<P, A> {
  readonly create: (request: P, options?: CallOptions) => Effect.Effect<A, TensormeshError>
  readonly raw: (request: P, options?: CallOptions) => Effect.Effect<RawResponse<A>, TensormeshError>
}

/** @internal */
export interface StreamEndpoint<P, E> {
  readonly stream: (request: P, options?: CallOptions) => Stream.Stream<E, TensormeshError>
  readonly open: (
    request: P,
    options?: CallOptions
  ) => Effect.Effect<Stream.Stream<E, TensormeshError>, TensormeshError, Scope.Scope>
  readonly streaming: (
    request: P,
    options?: CallOptions
  ) => Effect.Effect<StreamingResponse, TensormeshError, Scope.Scope>
}

/** The routes whose requests take the layer's default model. */
const modelRoutes = new Set(["/chat/completions", "/completions", "/responses"])

const missingModel = () =>
  invalidRequest(
    "model: missing: set it on the request, or a default model on the layer (option model, TENSORMESH_MODEL)",
    undefined,
    [{ path: ["model"], message: "missing: set it on the request, or a default model on the layer" }]
  )

/**
 * The request with the layer's default model when it has none of its own; without either, a `ValidationError`
 * naming `model`.
 *
 * @internal
 */
export const withModel = (
  settings: { readonly model: string | undefined },
  route: Route,
  request: unknown
): Either.Either<unknown, TensormeshError> => {
  if (!modelRoutes.has(route.path) || typeof request !== "object" || request === null) return Either.right(request)
  const model = (request as { readonly model?: unknown }).model
  if (model !== undefined) return Either.right(request)
  return settings.model === undefined
    ? Either.left(missingModel())
    : Either.right({ ...request, model: settings.model })
}

interface Prepared {
  readonly body: string | undefined
  readonly call: Call
  readonly limited: LimitedCall | undefined
}

/**
 * The request body of one call and its options, handed straight to `then`, or the failure that stops it before
 * sending: a keyed route without a key, a request that does not validate, invalid options. Run as a call's body
 * runs (already lazy: no step in between).
 */
type PrepareThen = <P, A, E, R>(
  request: P,
  options: CallOptions | undefined,
  streamFields: Record<string, unknown> | undefined,
  then: (prepared: Prepared) => Effect.Effect<A, E, R>
) => Effect.Effect<A, E | TensormeshError, R>

/** The `PrepareThen` of one endpoint: its layer's settings and call, its route and request encoder. */
const preparer =
  (settings: Settings, defaults: Call, route: Route, encode: Encoder | undefined): PrepareThen =>
  (request, options, streamFields, then) => {
    if (route.keyed && settings.apiKey === undefined) return Effect.fail(missingKey(route))
    // the request's own `stream` flag may only agree with the method; it is removed before the schema check
    const flagged = checkStreamFlag(route.path, request, streamFields !== undefined)
    if (Either.isLeft(flagged)) return Effect.fail(flagged.left)
    const modelled = withModel(settings, route, flagged.right)
    if (Either.isLeft(modelled)) return Effect.fail(modelled.left)
    const body = encode === undefined ? Either.right(undefined) : encode(modelled.right, streamFields)
    if (Either.isLeft(body)) return Effect.fail(body.left)
    const withCall = (call: Call): Prepared => ({
      body: body.right,
      call,
      limited: limitedCall(settings.limitContext, call.limits, request, body.right)
    })
    // the layer's own call, the usual case, needs no resolving
    return options === undefined
      ? then(withCall(defaults))
      : Effect.flatMap(resolveCall(settings, defaults, options), (call) => then(withCall(call)))
  }

/** @internal */
export const jsonEndpoint = <P, A>(
  settings: Settings,
  defaults: Call,
  descriptor: JsonDescriptor<P, A>
): JsonEndpoint<P, A> => {
  const encode = descriptor.params === undefined ? undefined : makeEncoder(descriptor.params)
  const post = descriptor.post === undefined ? undefined : (a: A) => descriptor.post!(a, settings)
  const preprocess = descriptor.preprocess
  const withPreprocess = (decode: Decoder<A>): Decoder<A> =>
    preprocess === undefined ? decode : (json, body) => decode(preprocess(json), body)
  const decode = withPreprocess(makeDecoder(descriptor.result, post))
  const decodeRaw = withPreprocess(makeDecoder(descriptor.result, post, false))
  const to = target(settings, descriptor.route, "application/json")
  const lenient = descriptor.lenient === true
  const prepareThen = preparer(settings, defaults, descriptor.route, encode)
  const send = (request: P, options: CallOptions | undefined, record: CallRecord) =>
    prepareThen(request, options, undefined, ({ body, call, limited }) =>
      limited === undefined
        ? sendJson(settings, to, body, call, record, lenient)
        : Effect.ensuring(
          sendJson(settings, to, body, call, record, lenient, limited),
          annotateWait(record.span, limited)
        ))
  const template = spanTemplate(settings, descriptor.name)
  const createMethod = `${descriptor.name}.${descriptor.verb}`
  const rawMethod = `${descriptor.name}.withRawResponse.${descriptor.verb}`
  return {
    create: (request, options) =>
      withCall(
        requestSpan(template, createMethod, request),
        (record) =>
          Effect.flatMap(send(request, options, record), (body) => {
            const decoded = decode(body.json, body)
            if (Either.isLeft(decoded)) return Effect.fail(decoded.left)
            record.tokens = annotateResponse(record.span, template.latest, decoded.right)
            return Effect.succeed(decoded.right)
          })
      ),
    raw: (request, options) =>
      withCall(
        requestSpan(template, rawMethod, request),
        (record) =>
          Effect.map(send(request, options, record), (body): RawResponse<A> => {
            record.tokens = annotateResponse(record.span, template.latest, body.json)
            return {
              status: body.status,
              headers: body.headers,
              requestId: body.headers["x-request-id"],
              json: body.json,
              parse: Effect.suspend(() => decodeRaw(body.json, body))
            }
          })
      )
  }
}

/** @internal */
export const streamEndpoint = <P, E>(
  settings: Settings,
  defaults: Call,
  descriptor: StreamDescriptor<P, E>
): StreamEndpoint<P, E> => {
  const encode = makeEncoder(descriptor.params)
  const to = target(settings, descriptor.route, "text/event-stream")
  const truncated = truncatedStream(descriptor.terminal)
  const prepareThen = preparer(settings, defaults, descriptor.route, encode)
  const prepared = (request: P, options: CallOptions | undefined) =>
    // a stream's request is checked when the stream runs, not when it is made
    Effect.suspend(() =>
      prepareThen(
        request,
        options,
        descriptor.streamFields(request),
        ({ body, call, limited }) => Effect.succeed({ body: body!, call, limited })
      )
    )
  const template = spanTemplate(settings, descriptor.name)
  const streamMethod = `${descriptor.name}.stream`
  const streamingMethod = `${descriptor.name}.withStreamingResponse.create`
  const openMethod = `${descriptor.name}.openStream`
  const callOf = (method: string, request: P, options: CallOptions | undefined): StreamCall => ({
    ...requestSpan(template, method, request),
    latest: template.latest,
    target: to,
    prepare: prepared(request, options)
  })
  return {
    stream: (request, options) =>
      streamValues(settings, callOf(streamMethod, request, options), descriptor.handler, truncated),
    open: (request, options) =>
      openValues(settings, callOf(openMethod, request, options), descriptor.handler, truncated),
    streaming: (request, options) =>
      Effect.flatMap(
        Effect.scope,
        (scope) =>
          withCall(requestSpan(template, streamingMethod, request), (record) =>
            Effect.flatMap(prepared(request, options), ({ body, call, limited }) =>
              Effect.map(
                Scope.extend(
                  Effect.ensuring(
                    openLines(settings, to, body, call, record, limited),
                    annotateWait(record.span, limited)
                  ),
                  scope
                ),
                (opened): StreamingResponse => ({
                  status: opened.status,
                  headers: opened.headers,
                  requestId: opened.headers["x-request-id"],
                  lines: opened.lines
                })
              )))
      )
  }
}

/**
 * The checks a request of `descriptor` passes before it is sent (its `stream` flag against the method, its schema and
 * `extraBody`), without a transport: the request as sent on (its flag removed), or the `ValidationError`. For fakes
 * that must reject what production rejects.
 *
 * @internal
 */
export const requestCheck = (descriptor: {
  readonly route: Route
  readonly params: Schema.Schema<any, any> | undefined
}): (request: unknown, streaming: boolean) => Either.Either<unknown, TensormeshError> => {
  const encode = descriptor.params === undefined ? undefined : makeEncoder(descriptor.params)
  return (request, streaming) => {
    const flagged = checkStreamFlag(descriptor.route.path, request, streaming)
    if (Either.isLeft(flagged) || encode === undefined) return flagged
    const body = encode(flagged.right, streaming ? {} : undefined)
    return Either.isLeft(body) ? body : flagged
  }
}
