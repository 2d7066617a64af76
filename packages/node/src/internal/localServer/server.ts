/**
 * The request pipeline and the scoped server.
 *
 * Per request: route match (404 / 405), faults (header and rules), replacing faults, access checks, content type and
 * JSON body, the route handler, then stream faults, extra headers and delivery.
 *
 * @internal
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpRouter from "@effect/platform/HttpRouter"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import * as Http from "node:http"
import type * as Api from "../../LocalServer.js"
import { checkAccess } from "./auth.js"
import { DEFAULT_MAX_REQUEST_BYTES, readBody } from "./body.js"
import * as Cors from "./cors.js"
import type { ApiFailure } from "./errors.js"
import { badRequest, nestedBody } from "./errors.js"
import * as Faults from "./faults.js"
import * as Inspect from "./inspect.js"
import { makePrefixCache, type PrefixCache } from "./prefixCache.js"
import * as Reply from "./reply.js"
import { type Route, routes } from "./routes.js"
import { resetNow, send } from "./send.js"

interface State {
  readonly mode: Api.Mode
  readonly apiKeys: ReadonlyArray<string> | undefined
  readonly userIds: ReadonlyArray<string> | undefined
  readonly tokenDelay: Duration.Duration
  readonly rules: Faults.FaultRules
  readonly cache: PrefixCache
  readonly responsesUsage: "chat" | "native"
  readonly maxRequestBytes: number
  readonly cors: Cors.Cors | undefined
  readonly inspector: Inspect.Inspector
}

const newId = () => randomUUID().replaceAll("-", "")

const isJson = (contentType: string | undefined): boolean =>
  contentType !== undefined && contentType.split(";")[0]!.trim().toLowerCase() === "application/json"

const failureReply = (failure: ApiFailure): Reply.Reply => Reply.json(failure.body, failure.status)

const tokenDelayOf = (state: State, header: string | undefined): Either.Either<Duration.Duration, ApiFailure> => {
  if (header === undefined) return Either.right(state.tokenDelay)
  const ms = Number(header)
  return header.trim().length === 0 || !Number.isFinite(ms) || ms < 0
    ? Either.left(badRequest(`Invalid ${Faults.TOKEN_DELAY_HEADER} header: expected milliseconds`))
    : Either.right(Duration.millis(ms))
}

const runRoute = (
  state: State,
  route: Route,
  request: HttpServerRequest.HttpServerRequest,
  requestId: string | undefined
): Effect.Effect<Reply.Reply, ApiFailure> =>
  Effect.gen(function*() {
    const denied = checkAccess(state, route.keyless, request.headers)
    if (denied !== undefined) return yield* denied
    let body: unknown = undefined
    if (route.method === "POST") {
      if (!isJson(request.headers["content-type"])) {
        return yield* badRequest("Unsupported Media Type: Only 'application/json' is allowed")
      }
      const text = yield* readBody(request, state.maxRequestBytes)
      state.inspector.recordBody(request, text)
      body = yield* Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (error) => badRequest(`Invalid JSON body: ${error instanceof Error ? error.message : String(error)}`)
      })
    }
    const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    return yield* route.handler({
      body,
      created,
      requestId,
      newId,
      cache: state.cache,
      responsesUsage: state.responsesUsage
    })
  })

const handle = (state: State, route: Route) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const requestId = request.headers["x-request-id"]
    const header = request.headers[Faults.FAULT_HEADER]
    const parsed = header === undefined ? Either.right(undefined) : Faults.parseFault(header)
    const delay = tokenDelayOf(state, request.headers[Faults.TOKEN_DELAY_HEADER])
    const ruleFault = state.rules.match(route.path)
    const fault: Api.Fault = { ...ruleFault, ...(Either.isRight(parsed) ? parsed.right : {}) }
    let reply: Reply.Reply
    if (Either.isLeft(parsed)) {
      reply = failureReply(badRequest(`Invalid ${Faults.FAULT_HEADER} header: ${parsed.left}`, Faults.FAULT_HEADER))
    } else if (Either.isLeft(delay)) {
      reply = failureReply(delay.left)
    } else {
      if (fault.reset === true || fault.resetAfterBytes !== undefined) state.inspector.markReset(request)
      if (fault.reset === true) return yield* resetNow(request)
      if (fault.stall === true) return yield* Effect.never
      reply = Faults.replacement(fault) ??
        (yield* runRoute(state, route, request, requestId).pipe(
          Effect.catchTag("ApiFailure", (failure) => Effect.succeed(failureReply(failure)))
        ))
    }
    const withHeaders = Reply.withHeaders(reply, {
      ...Faults.faultHeaders(fault, () => requestId ?? newId()),
      ...state.cors?.headers(request.headers["origin"])
    })
    return yield* send(request, withHeaders, Faults.chunks(withHeaders, fault), {
      delay: Either.getOrElse(delay, () => Duration.zero),
      stallAfterChunks: fault.stallAfterChunks,
      resetAfterBytes: fault.resetAfterBytes
    })
  })

const immediately = { delay: Duration.zero, stallAfterChunks: undefined, resetAfterBytes: undefined }

// Everything the route table does not answer: CORS preflights, the inspection routes, then 404 or 405.
const notFoundOrNotAllowed = (state: State, request: HttpServerRequest.HttpServerRequest) => {
  const path = new URL(request.url, "http://localhost").pathname
  if (state.cors !== undefined && request.method === "OPTIONS") {
    const headers = state.cors.preflight(request.headers["origin"], request.headers["access-control-request-headers"])
    return send(request, Reply.withHeaders(Reply.text("", 204, undefined), headers), [], immediately)
  }
  if (path.startsWith(Inspect.PREFIX)) {
    const reply = Inspect.route(state.inspector, request.method, path)
    return send(request, reply, [], immediately)
  }
  const known = routes.some((route) => route.path === path)
  return send(
    request,
    Reply.json({ detail: known ? "Method Not Allowed" : "Not Found" }, known ? 405 : 404),
    [],
    immediately
  )
}

const internalError = HttpServerResponse.text(JSON.stringify(nestedBody(500, "Internal server error")), {
  status: 500,
  contentType: Reply.JSON_CONTENT_TYPE
})

const app = (state: State): Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  never,
  HttpServerRequest.HttpServerRequest
> =>
  routes.reduce(
    (router, route) => HttpRouter.route(route.method)(router, route.path, handle(state, route)),
    HttpRouter.empty
  ).pipe(
    Effect.catchTag("RouteNotFound", (error) => notFoundOrNotAllowed(state, error.request)),
    Effect.catchAllDefect(() => Effect.succeed(internalError)),
    withCors(state)
  )

// CORS headers on every reply, whichever branch produced it.
const withCors = (state: State) =>
<R>(
  self: Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R | HttpServerRequest.HttpServerRequest> => {
  const cors = state.cors
  if (cors === undefined) return self
  return Effect.flatMap(
    HttpServerRequest.HttpServerRequest,
    (request) => Effect.map(self, HttpServerResponse.setHeaders(cors.headers(request.headers["origin"])))
  )
}

const formatHost = (host: string) => host.includes(":") ? `[${host}]` : host

/** @internal */
export const make = (options: Api.Options = {}): Effect.Effect<Api.Service, ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    const rules = Faults.makeRules(options.faults ?? [])
    if (Either.isLeft(rules)) return yield* Effect.dieMessage(rules.left)
    const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES
    if (!Number.isSafeInteger(maxRequestBytes) || maxRequestBytes < 1) {
      return yield* Effect.dieMessage("maxRequestBytes must be a positive integer")
    }
    const state: State = {
      mode: options.mode ?? "serverless",
      apiKeys: options.apiKeys,
      userIds: options.userIds,
      tokenDelay: options.tokenDelay === undefined ? Duration.zero : Duration.decode(options.tokenDelay),
      rules: rules.right,
      cache: makePrefixCache(),
      responsesUsage: options.responsesUsage ?? "chat",
      maxRequestBytes,
      cors: Cors.make(options.cors),
      inspector: Inspect.make(options.requestLog)
    }
    const host = options.host ?? "127.0.0.1"
    const nodeServer = Http.createServer()
    nodeServer.on("request", state.inspector.onRequest) // first, so that it sees each request before the handler
    const server = yield* NodeHttpServer.make(() => nodeServer, { port: options.port ?? 0, host })
    // Runs before the server is closed: stalled and streaming requests must not keep it open.
    yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
    yield* server.serve(app(state))
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    const root = `http://${formatHost(host)}:${port}`
    const inspector = state.inspector
    return {
      baseUrl: `${root}/v1`,
      root,
      port,
      mode: state.mode,
      requests: Effect.sync(() => inspector.requests()),
      inFlight: Effect.sync(() => ({ current: inspector.inFlight(), peak: inspector.peak() })),
      clearRequests: Effect.sync(() => inspector.clear())
    }
  })
