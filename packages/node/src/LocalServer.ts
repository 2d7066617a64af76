/**
 * A local, deterministic, Tensormesh-compatible inference server.
 *
 * It speaks the Tensormesh wire format (the routes, JSON shapes, SSE framing and error bodies of the serverless and
 * on-demand surfaces, vLLM underneath) so that any OpenAI-compatible client can be pointed at it: in-process as a
 * scoped layer for tests, or as the `tensormesh-local` command.
 *
 * **Routes** (both modes): `POST /v1/chat/completions`, `POST /v1/completions`, `POST /v1/responses`,
 * `GET /v1/models`, `POST /tokenize`, `POST /detokenize`, `GET /health`, `GET /version`. An unknown path gives 404
 * `{"detail":"Not Found"}`, a wrong method 405 `{"detail":"Method Not Allowed"}`.
 *
 * **Auth**: `GET /v1/models`, `/health` and `/version` need no key; every other route needs
 * `Authorization: Bearer <key>` (401 `{"error":"Unauthorized"}` otherwise). In `"on-demand"` mode every route also
 * needs an `X-User-Id` UUID (400 when missing or malformed, 401 when not in `userIds`).
 *
 * **Models** (see {@link models}):
 * - `tensormesh/echo` (context 4096 tokens): answers `You said: <last user text>`;
 * - `openai/gpt-oss-20b`: the same, with reasoning in the `reasoning` field (and LMCache `kv_transfer_params`);
 * - `tensormesh/reasoning-content`: the same, with reasoning in `reasoning_content`;
 * - `tensormesh/think-leak`: leaks `<think>…</think>\n\n` at the start of `content`, split across chunks in streams.
 *
 * Every model calls the first tool (or the named one) when `tools` are given and `tool_choice` is not `"none"`
 * (unless the conversation ends with a tool result and `tool_choice` is `"auto"`: then it answers
 * `The tool returned: <output>`). JSON mode (`json_object`, `json_schema`) answers with a JSON object: a value of the
 * `json_schema`, or in `json_object` mode of a JSON Schema written as the last line of a system message on chat
 * completions (how a schema hint asks a model for keys), else `{"answer": ...}`. Completions
 * continue a prompt with ` You said: <prompt>` (16 tokens by default).
 *
 * **Tokenizer**: deterministic and vocabulary-free (see {@link tokenize}); usage counts, `max_model_len` checks and
 * emulated prefix caching (`prompt_tokens_details.cached_tokens`, in blocks of 16 tokens, over the last 256 prompts
 * per model) all use it.
 *
 * **Fault injection**: per server with {@link Options.faults}, per request with the {@link FAULT_HEADER} header
 * (grammar in {@link Fault}). Token pacing: {@link Options.tokenDelay}, or the {@link TOKEN_DELAY_HEADER} header.
 *
 * **Limits** (so that one request can neither exhaust the server nor stall the others; each answered in vLLM's error
 * shape, the server stays up):
 * - a request body over {@link Options.maxRequestBytes} (16 MiB by default): 413, refused while reading;
 * - sampling parameters out of vLLM's ranges (`temperature` in [0, 2], `top_p` in (0, 1], `top_k` ≥ -1, `min_p` in
 *   [0, 1], penalties in [-2, 2], `repetition_penalty` > 0, `n` and `max_tokens` ≥ 1; every number finite): 400;
 * - a prompt that cannot fit the context: 400 with vLLM's context-length message, decided from the prompt's length
 *   before it is tokenized when the length alone proves it (every token covers at most 3 UTF-16 code units); on
 *   `/tokenize`, which counts prompts beyond the context as vLLM does, a prompt of more than 3 × `max_model_len`
 *   code units;
 * - the output of one request: at most 1,024 choices (`n` × prompts) and 262,144 output tokens over all its choices
 *   (generated tokens, plus echoed prompt tokens with `echo` or `return_token_ids`): 400 past either.
 *
 * Streams are written frame by frame as the client reads them (back-pressure), never built in memory.
 *
 * **Browsers**: with {@link Options.cors} (`--cors`), every reply carries CORS headers and preflights are answered,
 * so a browser app can use the server over `FetchHttpClient`. Off by default.
 *
 * **Inspection**: the server keeps a log of the requests it received (method, path, headers with `Authorization`
 * and `X-User-Id` redacted, body), counts those in flight, and notes for each whether the client closed it before
 * the reply was complete: in-process with {@link Service.requests} and {@link Service.inFlight}, over HTTP with
 * `GET /_local/requests` (see {@link REQUESTS_PATH}; `DELETE` empties the log). The `/_local/` prefix is reserved
 * and off the API's paths; its requests are not logged.
 *
 * The server logs nothing; in particular neither API keys nor user ids.
 *
 * @example
 * ```ts
 * import * as LocalServer from "@tensormesh-effect/node/LocalServer"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* LocalServer.LocalServer
 *   const response = yield* Effect.promise(() => fetch(`${server.baseUrl}/models`))
 *   return yield* Effect.promise(() => response.json())
 * }).pipe(Effect.provide(LocalServer.layer()))
 * ```
 *
 * @since 0.1.0
 */
import type { ServeError } from "@effect/platform/HttpServerError"
import type { ClientOptions, OnDemand, Serverless, ValidationError } from "@tensormesh-effect/core"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as clientLayers from "./internal/localServer/clientLayers.js"
import * as faults from "./internal/localServer/faults.js"
import * as internalModels from "./internal/localServer/models.js"
import * as paths from "./internal/localServer/paths.js"
import * as server from "./internal/localServer/start.js"
import * as tokenizer from "./internal/localServer/tokenizer.js"

/**
 * `"serverless"` (the default): no `X-User-Id`. `"on-demand"`: `X-User-Id` required on every route.
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = "serverless" | "on-demand"

/**
 * The routes of the server.
 *
 * @since 0.1.0
 * @category models
 */
export type RoutePath =
  | "/v1/chat/completions"
  | "/v1/completions"
  | "/v1/responses"
  | "/v1/models"
  | "/tokenize"
  | "/detokenize"
  | "/health"
  | "/version"

/**
 * The body of an injected error response:
 * - `nested` (A): `{"error":{"message","type","param","code"}}`;
 * - `flat` (B): `{"object":"error","message","type","param","code"}`;
 * - `string` (C): `{"error":"<message>"}`;
 * - `detail` (D): `{"detail":"<message>"}`;
 * - `text`: the message as `text/plain`;
 * - `html`: `<html><body><h1>STATUS MESSAGE</h1></body></html>` as `text/html`;
 * - `empty`: no body.
 *
 * @since 0.1.0
 * @category models
 */
export type ErrorShape = "nested" | "flat" | "string" | "detail" | "text" | "html" | "empty"

/**
 * A fault to inject into a response. Fields combine (e.g. a 429 with `Retry-After`, or a stream with keep-alive
 * pings that is cut after 3 chunks).
 *
 * Written in the {@link FAULT_HEADER} request header as directives separated by `;` (keys are case-insensitive,
 * spaces around directives are ignored, an unknown or malformed directive gives a 400):
 *
 * | Directive | Field | Effect |
 * |---|---|---|
 * | `status=<100-599>` | `status` | answer with this status and an error body instead of running the route |
 * | `shape=nested\|flat\|string\|detail\|text\|html\|empty` | `shape` | the error body ({@link ErrorShape}; default `nested`) |
 * | `message=<percent-encoded text>` | `message` | the error message (default per status, e.g. `Server is overloaded` for 429) |
 * | `retry-after=<seconds>\|<HTTP date>` | `retryAfter` | a `Retry-After` header |
 * | `retry-after-ms=<ms>` | `retryAfterMs` | a `retry-after-ms` header |
 * | `reset` | `reset` | destroy the connection before any header |
 * | `reset-after-bytes=<n>` | `resetAfterBytes` | send the headers and the first n body bytes, then destroy the connection |
 * | `stall` | `stall` | never answer (until the client gives up) |
 * | `stall-after-chunks=<n>` | `stallAfterChunks` | send the headers and n chunks (SSE frames), then never finish |
 * | `malformed-json` | `malformedJson` | 200 (or `status`) with a body that is not valid JSON |
 * | `wrong-shape` | `wrongShape` | 200 (or `status`) with valid JSON of the wrong shape |
 * | `error-after-chunks=<n>` | `errorAfterChunks` | streams: n frames, then `data: {"error":{…}}` and `data: [DONE]` (responses: an `error` event) |
 * | `cut-after-chunks=<n>` | `cutAfterChunks` | streams: n frames, then the body ends without `[DONE]` or terminal event |
 * | `ping` | `ping` | streams: a `: ping` comment before every frame |
 * | `request-id` | `requestId` | echo the `X-Request-Id` request header (or a generated id) as `x-request-id` |
 *
 * Example: `x-tensormesh-fault: status=429; shape=string; retry-after=2`.
 *
 * Chunk counts exclude pings and `[DONE]`. `stall-after-chunks` and `reset-after-bytes` also apply to JSON bodies
 * (a JSON body is one chunk). Error, status and shape faults are applied before authentication.
 *
 * @since 0.1.0
 * @category models
 */
export interface Fault {
  readonly status?: number | undefined
  readonly shape?: ErrorShape | undefined
  readonly message?: string | undefined
  /** Seconds, or an HTTP date. */
  readonly retryAfter?: number | string | undefined
  readonly retryAfterMs?: number | undefined
  readonly reset?: boolean | undefined
  readonly resetAfterBytes?: number | undefined
  readonly stall?: boolean | undefined
  readonly stallAfterChunks?: number | undefined
  readonly malformedJson?: boolean | undefined
  readonly wrongShape?: boolean | undefined
  readonly errorAfterChunks?: number | undefined
  readonly cutAfterChunks?: number | undefined
  readonly ping?: boolean | undefined
  readonly requestId?: boolean | undefined
}

/**
 * A server-side fault rule: the requests to `route` (all routes when absent or `"*"`), counted per rule from 1, get
 * `fault` when their number is in `(skip, skip + times]`. For example, "the first 2 chat requests get a 503":
 * `{ route: "/v1/chat/completions", times: 2, fault: { status: 503 } }`.
 *
 * A fault given as a string uses the {@link FAULT_HEADER} grammar. When several rules match, their fields merge in
 * order, and the request header has the last word.
 *
 * @since 0.1.0
 * @category models
 */
export interface FaultRule {
  readonly route?: RoutePath | "*" | ReadonlyArray<RoutePath> | undefined
  /** Matching requests to let through first (default 0). */
  readonly skip?: number | undefined
  /** How many matching requests get the fault after the skipped ones (default: all). */
  readonly times?: number | undefined
  readonly fault: Fault | string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Default `"serverless"`. */
  readonly mode?: Mode | undefined
  /** Default 0: a free port. */
  readonly port?: number | undefined
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined
  /** The accepted keys; when absent any non-empty Bearer token is accepted. */
  readonly apiKeys?: ReadonlyArray<string> | undefined
  /** On-demand mode: the accepted user ids; when absent any UUID is accepted. */
  readonly userIds?: ReadonlyArray<string> | undefined
  /** The pause between two SSE chunks (default none). */
  readonly tokenDelay?: Duration.DurationInput | undefined
  readonly faults?: ReadonlyArray<FaultRule> | undefined
  /**
   * The usage shape of `/v1/responses`: `"chat"` (default, as Tensormesh documents it:
   * `{prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details}`) or `"native"`
   * (`{input_tokens, input_tokens_details, output_tokens, output_tokens_details, total_tokens}`).
   */
  readonly responsesUsage?: "chat" | "native" | undefined
  /**
   * The largest request body accepted, in bytes (default 16 MiB). A larger one gets a 413 in vLLM's error shape
   * (`PayloadTooLargeError`) as soon as its `Content-Length` or its bytes pass the limit; it is never buffered.
   */
  readonly maxRequestBytes?: number | undefined
  /**
   * CORS for browser apps (default off): `true` allows any origin (`Access-Control-Allow-Origin: *`), `{ origins }`
   * only those listed (echoed back, with `Vary: Origin`). When on, every reply carries the CORS headers (and exposes
   * `x-request-id`, `retry-after`, `retry-after-ms`), and an `OPTIONS` preflight to any path is answered 204.
   */
  readonly cors?: boolean | CorsOptions | undefined
  /** How many received requests the inspection API keeps, the oldest dropped first (default 200; 0 keeps none). */
  readonly requestLog?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CorsOptions {
  /** The allowed origins, e.g. `["http://localhost:5173"]`; absent: any origin. */
  readonly origins?: ReadonlyArray<string> | undefined
}

/**
 * A request the server received, as the inspection API shows it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReceivedRequest {
  /** 1 for the first request the server received, then 2, … */
  readonly id: number
  readonly method: string
  /** The request target: path and query, e.g. `/v1/chat/completions`. */
  readonly path: string
  /** The headers, lower-cased; `authorization`, `x-user-id`, `cookie`, `proxy-authorization` and `x-api-key` read `<redacted>`. */
  readonly headers: Readonly<Record<string, string>>
  /**
   * The body once the server has read it: the parsed JSON, or the text when it is not JSON or was cut at 65,536
   * characters (`bodyTruncated`); `undefined` when none was read (GET routes, rejected requests).
   */
  readonly body: unknown
  readonly bodyTruncated: boolean
  /** Unix milliseconds. */
  readonly receivedAt: number
  /**
   * `in-flight` until the connection closes, then `completed` (the whole reply was sent), `client-closed` (the
   * client closed the connection first, e.g. an aborted stream) or `reset` (a `reset` fault closed it).
   */
  readonly state: "in-flight" | "completed" | "client-closed" | "reset"
  /** Whether the client closed the request before the reply was complete: `state === "client-closed"`. */
  readonly clientClosedEarly: boolean
  /** The status sent, once the headers were sent. */
  readonly status: number | undefined
}

/**
 * A running server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The API base, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly baseUrl: string
  /** The root, e.g. `http://127.0.0.1:PORT`, where `/tokenize`, `/health`, … live. */
  readonly root: string
  readonly port: number
  readonly mode: Mode
  /** The requests received so far (the last {@link Options.requestLog}), oldest first. */
  readonly requests: Effect.Effect<ReadonlyArray<ReceivedRequest>>
  /**
   * Requests being served now (from the request line until the response ends or its connection closes; the
   * `/_local/` routes not counted), and the most at once since the server started: what a concurrency limit is
   * checked against.
   */
  readonly inFlight: Effect.Effect<InFlight>
  /** Empties the request log. */
  readonly clearRequests: Effect.Effect<void>
}

/**
 * @since 0.2.0
 * @category models
 */
export interface InFlight {
  readonly current: number
  readonly peak: number
}

/**
 * @since 0.1.0
 * @category tags
 */
export class LocalServer extends Context.Tag("@tensormesh-effect/node/LocalServer")<LocalServer, Service>() {}

/**
 * A model served by the local server.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelInfo {
  readonly id: string
  readonly maxModelLen: number
  readonly reasoning: "none" | "reasoning" | "reasoning_content" | "think-leak"
}

/**
 * The models: `tensormesh/echo` (max_model_len 4096), `openai/gpt-oss-20b`, `tensormesh/reasoning-content` and
 * `tensormesh/think-leak` (131072 each).
 *
 * @since 0.1.0
 * @category models
 */
export const models: ReadonlyArray<ModelInfo> = internalModels.models

/**
 * The request header that injects a {@link Fault}: `x-tensormesh-fault`.
 *
 * @since 0.1.0
 * @category constants
 */
export const FAULT_HEADER: string = faults.FAULT_HEADER

/**
 * The request header that sets the pause between SSE chunks in milliseconds: `x-tensormesh-token-delay-ms`.
 *
 * @since 0.1.0
 * @category constants
 */
export const TOKEN_DELAY_HEADER: string = faults.TOKEN_DELAY_HEADER

/**
 * The inspection route, `/_local/requests`: `GET` answers `{ "inFlight": number, "requests": [ReceivedRequest] }`,
 * `DELETE` empties the log.
 *
 * @since 0.1.0
 * @category constants
 */
export const REQUESTS_PATH: string = paths.REQUESTS_PATH

/**
 * Parses a {@link FAULT_HEADER} value; `Left` holds what is wrong with it.
 *
 * @since 0.1.0
 * @category faults
 */
export const parseFault: (header: string) => Either.Either<Fault, string> = faults.parseFault

/**
 * Parses a {@link FaultRule} written as the `--fault` option of `tensormesh-local` takes it: the
 * {@link FAULT_HEADER} grammar plus the rule's own directives, `route=<path>` (or `*`, or paths separated by `,`),
 * `skip=<n>` and `times=<n>`; e.g. `route=/v1/chat/completions; times=2; status=503`. `Left` holds what is wrong.
 *
 * @since 0.1.0
 * @category faults
 */
export const parseFaultRule: (rule: string) => Either.Either<FaultRule, string> = faults.parseFaultRule

/**
 * Writes a {@link Fault} in the {@link FAULT_HEADER} grammar.
 *
 * @since 0.1.0
 * @category faults
 */
export const formatFault: (fault: Fault) => string = faults.formatFault

/**
 * The token ids of a text, as the server counts them.
 *
 * The tokenizer splits text into words, whitespace runs and single other characters, and packs each piece's
 * UTF-8 bytes, at most 3 per token, into reversible ids (a code point from U+10000 up is a token of its own), so
 * `detokenize(tokenize(text))` gives back any string.
 *
 * @since 0.1.0
 * @category tokenizer
 */
export const tokenize: (text: string) => ReadonlyArray<number> = tokenizer.tokenize

/**
 * The text of token ids; `undefined` when one of them is not a valid token.
 *
 * @since 0.1.0
 * @category tokenizer
 */
export const detokenize: (tokens: ReadonlyArray<number>) => string | undefined = tokenizer.detokenizeText

/**
 * Starts a server for the life of the scope, on `127.0.0.1` and a free port unless told otherwise.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: Options) => Effect.Effect<Service, ServeError, Scope.Scope> = server.make

/**
 * A layer with a running server, stopped when the layer is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<LocalServer, ServeError> =>
  Layer.scoped(LocalServer, server.make(options))

/**
 * Options of `serverlessLayer` / `onDemandLayer`: the server's options, and the client's (its base URL is the
 * server's; the key defaults to the first of `apiKeys`, else any key; the user id to the first of `userIds`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientLayerOptions extends Omit<Options, "mode"> {
  readonly client?: ClientOptions | undefined
}

/**
 * A local server in serverless mode and a `Serverless` client pointed at it over the Node transport: the one-line
 * layer for tests. Both stop when the layer is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const serverlessLayer = (
  options?: ClientLayerOptions
): Layer.Layer<LocalServer | Serverless, ServeError | ValidationError> =>
  clientLayers.serverlessLayer(LocalServer, options)

/**
 * A local server in on-demand mode and an `OnDemand` client pointed at it (sending a fixed UUID as `X-User-Id`
 * unless `userIds` names one), over the Node transport.
 *
 * @since 0.1.0
 * @category layers
 */
export const onDemandLayer = (
  options?: ClientLayerOptions
): Layer.Layer<LocalServer | OnDemand, ServeError | ValidationError> => clientLayers.onDemandLayer(LocalServer, options)
