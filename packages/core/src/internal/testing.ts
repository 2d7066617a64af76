import * as Headers from "@effect/platform/Headers"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Chat from "../ChatCompletion.js"
import type { CallOptions } from "../ClientOptions.js"
import * as Completions from "../Completion.js"
import type { InferenceClient, RawResponse, StreamingResponse } from "../InferenceClient.js"
import { OnDemand } from "../OnDemand.js"
import * as Responses from "../Responses.js"
import { Serverless } from "../Serverless.js"
import { Tensormesh } from "../Tensormesh.js"
import type { TensormeshError } from "../TensormeshError.js"
import type { BuildOptions, Handlers, PartialDeep, ToolCallInput } from "../TensormeshTest.js"
import { requestCheck } from "./endpoint.js"
import * as ChatCompletions from "./resources/chat/completions.js"
import * as CompletionsResource from "./resources/completions.js"
import * as Detokenize from "./resources/detokenize.js"
import * as ResponsesResource from "./resources/responses.js"
import * as Tokenize from "./resources/tokenize.js"
import { parseWith } from "./structured.js"

// The test layer: the service from partial handlers, no HTTP. Requests pass the real checks (stream flag, request
// schema, extraBody) before a handler sees them; what a handler lacks is derived from `create` where it can be.

const missing = (name: string) =>
  `TensormeshTest: no handler for ${name} (give one in TensormeshTest.layer({ … }), or a create handler to derive it)`

const die = (name: string) => Effect.dieMessage(missing(name))

type Check = (request: unknown, streaming: boolean) => Either.Either<unknown, TensormeshError>

const checked = <A, R>(
  check: Check | undefined,
  request: unknown,
  streaming: boolean,
  f: (request: any) => Effect.Effect<A, TensormeshError, R>
): Effect.Effect<A, TensormeshError, R> =>
  Effect.suspend(() => {
    if (check === undefined) return f(request)
    const result = check(request, streaming)
    return Either.isLeft(result) ? Effect.fail(result.left) : f(result.right)
  })

const encoder = <A>(schema: Schema.Schema<A, any>) => {
  const encode = Schema.encodeSync(schema as Schema.Schema<A, unknown>)
  return (a: A): unknown => encode(a)
}

const rawOf = <A>(value: A, json: unknown): RawResponse<A> => ({
  status: 200,
  headers: Headers.fromInput({ "content-type": "application/json" }),
  requestId: undefined,
  json,
  parse: Effect.succeed(value)
})

interface StreamSpec<A, E> {
  readonly name: string
  readonly check: Check
  readonly chunks: (a: A) => ReadonlyArray<E>
  readonly encodeA: (a: A) => unknown
  /** The SSE lines of one event (blank separator included). */
  readonly lines: (e: E) => ReadonlyArray<string>
  readonly done: ReadonlyArray<string>
}

const streamingResource = <P, A, E>(
  handlers: PartialDeep<InferenceClient["completions"]> | undefined,
  spec: StreamSpec<A, E>
) => {
  const h = (handlers ?? {}) as {
    create?: (request: P, options?: CallOptions) => Effect.Effect<A, TensormeshError>
    stream?: (request: P, options?: CallOptions) => Stream.Stream<E, TensormeshError>
    openStream?: (
      request: P,
      options?: CallOptions
    ) => Effect.Effect<Stream.Stream<E, TensormeshError>, TensormeshError, any>
    withRawResponse?: { create?: (request: P, options?: CallOptions) => Effect.Effect<RawResponse<A>, TensormeshError> }
    withStreamingResponse?: {
      create?: (request: P, options?: CallOptions) => Effect.Effect<StreamingResponse, TensormeshError, any>
    }
  }
  const create = (request: P, options?: CallOptions): Effect.Effect<A, TensormeshError> =>
    h.create === undefined
      ? die(`${spec.name}.create`)
      : checked(spec.check, request, false, (r) => h.create!(r, options))
  // the stream's values once the request is accepted: the stream handler's, else the chunks of `create`'s answer
  const opened = (
    request: P,
    options?: CallOptions
  ): Effect.Effect<Stream.Stream<E, TensormeshError>, TensormeshError> =>
    checked(spec.check, request, true, (r) => {
      if (h.stream !== undefined) return Effect.succeed(h.stream(r, options))
      if (h.create !== undefined) {
        return Effect.map(h.create(r, options), (a) => Stream.fromIterable(spec.chunks(a)))
      }
      return die(`${spec.name}.stream`)
    })
  return {
    create,
    stream: (request: P, options?: CallOptions) => Stream.unwrap(opened(request, options)),
    openStream: (request: P, options?: CallOptions) =>
      h.openStream === undefined
        ? opened(request, options)
        : checked(spec.check, request, true, (r) => h.openStream!(r, options)),
    withRawResponse: {
      create: (request: P, options?: CallOptions) => {
        if (h.withRawResponse?.create !== undefined) {
          return checked(spec.check, request, false, (r) => h.withRawResponse!.create!(r, options))
        }
        if (h.create === undefined) return die(`${spec.name}.withRawResponse.create`)
        return Effect.map(create(request, options), (a) => rawOf(a, spec.encodeA(a)))
      }
    },
    withStreamingResponse: {
      create: (request: P, options?: CallOptions) => {
        if (h.withStreamingResponse?.create !== undefined) {
          return checked(spec.check, request, true, (r) => h.withStreamingResponse!.create!(r, options))
        }
        if (h.create === undefined && h.stream === undefined) {
          return die(`${spec.name}.withStreamingResponse.create`)
        }
        return Effect.map(opened(request, options), (events): StreamingResponse => ({
          status: 200,
          headers: Headers.fromInput({ "content-type": "text/event-stream" }),
          requestId: undefined,
          lines: Stream.concat(
            Stream.flatMap(events, (e) => Stream.fromIterable(spec.lines(e))),
            Stream.fromIterable(spec.done)
          )
        }))
      }
    }
  }
}

const simple = (
  name: string,
  verb: "create" | "list" | "get",
  handlers: Record<string, any> | undefined,
  check: Check | undefined
) => {
  const h = handlers ?? {}
  const call = (fn: ((...args: Array<any>) => Effect.Effect<any, TensormeshError>) | undefined, label: string) =>
    verb === "create"
      ? (request: unknown, options?: CallOptions) =>
        fn === undefined ? die(label) : checked(check, request, false, (r) => fn(r, options))
      : (options?: CallOptions) => fn === undefined ? die(label) : fn(options)
  return {
    [verb]: call(h[verb], `${name}.${verb}`),
    withRawResponse: { [verb]: call(h.withRawResponse?.[verb], `${name}.withRawResponse.${verb}`) }
  }
}

const chatChunkJson = encoder(Chat.ChatCompletionChunk)
const completionJson = encoder(Completions.Completion)
const responseJson = encoder(Responses.Response)

const dataLines = (json: unknown): ReadonlyArray<string> => [`data: ${JSON.stringify(json)}`, ""]

const withParse = <R extends { readonly create: any }>(resource: R, parse: unknown) => ({
  ...resource,
  parse: parse ?? parseWith(resource.create)
})

/** @internal */
export const make = (handlers: Handlers, surface: "serverless" | "on-demand" = "serverless"): InferenceClient =>
  ({
    surface,
    chat: {
      completions: withParse(
        streamingResource(handlers.chat?.completions as never, {
          name: "chat.completions",
          check: requestCheck(ChatCompletions.create),
          chunks: chatChunksOf,
          encodeA: encoder(Chat.ChatCompletion),
          lines: (chunk: Chat.ChatCompletionChunk) => dataLines(chatChunkJson(chunk)),
          done: ["data: [DONE]", ""]
        }),
        (handlers.chat?.completions as { parse?: unknown } | undefined)?.parse
      )
    },
    completions: streamingResource(handlers.completions as never, {
      name: "completions",
      check: requestCheck(CompletionsResource.create),
      chunks: completionChunksOf,
      encodeA: completionJson,
      lines: (chunk: Completions.CompletionChunk) => dataLines(completionJson(chunk)),
      done: ["data: [DONE]", ""]
    }),
    responses: streamingResource(handlers.responses as never, {
      name: "responses",
      check: requestCheck(ResponsesResource.create),
      chunks: responseEventsOf,
      encodeA: responseJson,
      lines: (event: Responses.ResponseStreamEvent) =>
        event.type === "unknown"
          ? [`event: ${event.event}`, `data: ${JSON.stringify(event.data)}`, ""]
          : [
            `event: ${event.type}`,
            `data: ${
              JSON.stringify("response" in event ? { ...event, response: responseJson(event.response) } : event)
            }`,
            ""
          ],
      done: []
    }),
    models: simple("models", "list", handlers.models, undefined),
    tokenize: simple("tokenize", "create", handlers.tokenize, requestCheck(Tokenize.create)),
    detokenize: simple("detokenize", "create", handlers.detokenize, requestCheck(Detokenize.create)),
    health: simple("health", "get", handlers.health, undefined),
    version: simple("version", "get", handlers.version, undefined)
  }) as unknown as InferenceClient

/** @internal */
export const layer = (
  handlers: Handlers,
  options?: { readonly surface?: "serverless" | "on-demand" | undefined }
): Layer.Layer<Serverless | OnDemand | Tensormesh> => {
  const client = make(handlers, options?.surface)
  return Layer.mergeAll(
    Layer.succeed(Serverless, client),
    Layer.succeed(OnDemand, client),
    Layer.succeed(Tensormesh, client)
  )
}

// ---------------------------------------------------------------------------------------------------------------
// builders
// ---------------------------------------------------------------------------------------------------------------

const FAKE_CREATED = 1_700_000_000

const words = (text: string) => text.split(/\s+/).filter((w) => w !== "").length

/** @internal */
export const chatCompletion = (
  content: string | { readonly content?: string | undefined; readonly toolCalls: ReadonlyArray<ToolCallInput> },
  options?: BuildOptions
): Chat.ChatCompletion => {
  const text = typeof content === "string" ? content : content.content ?? null
  const toolCalls = typeof content === "string" ? undefined : content.toolCalls.map((call, i): Chat.ToolCall => ({
    id: call.id ?? `call_${i}`,
    type: "function",
    function: {
      name: call.name,
      arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments)
    }
  }))
  const prompt = options?.promptTokens ?? 8
  const completion = words(text ?? "") + (toolCalls?.length ?? 0) * 8
  return {
    id: options?.id ?? "chatcmpl-test",
    object: "chat.completion",
    created: FAKE_CREATED,
    model: options?.model ?? "test-model",
    choices: [{
      index: 0,
      message: { role: "assistant", content: text, ...(toolCalls === undefined ? {} : { tool_calls: toolCalls }) },
      finish_reason: toolCalls === undefined ? "stop" : "tool_calls"
    }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
  }
}

/** @internal */
export const chatChunksOf = (completion: Chat.ChatCompletion): Array<Chat.ChatCompletionChunk> => {
  const base = {
    id: completion.id,
    object: "chat.completion.chunk",
    created: completion.created,
    model: completion.model
  }
  const chunks: Array<Chat.ChatCompletionChunk> = []
  for (const choice of completion.choices) {
    chunks.push({ ...base, choices: [{ index: choice.index, delta: { role: choice.message.role, content: "" } }] })
    if (choice.message.content !== null && choice.message.content !== "") {
      chunks.push({ ...base, choices: [{ index: choice.index, delta: { content: choice.message.content } }] })
    }
    const calls = choice.message.tool_calls ?? []
    calls.forEach((call, i) =>
      chunks.push({
        ...base,
        choices: [{
          index: choice.index,
          delta: { tool_calls: [{ index: i, id: call.id, type: call.type, function: call.function }] }
        }]
      })
    )
    chunks.push({ ...base, choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason }] })
  }
  if (completion.usage !== undefined && completion.usage !== null) {
    chunks.push({ ...base, choices: [], usage: completion.usage })
  }
  return chunks
}

/** @internal */
export const chatChunks = (pieces: ReadonlyArray<string>, options?: BuildOptions): Array<Chat.ChatCompletionChunk> => {
  const whole = chatCompletion(pieces.join(""), options)
  const base = { id: whole.id, object: "chat.completion.chunk", created: whole.created, model: whole.model }
  return [
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" } }] },
    ...pieces.map((piece): Chat.ChatCompletionChunk => ({
      ...base,
      choices: [{ index: 0, delta: { content: piece } }]
    })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
    { ...base, choices: [], usage: whole.usage }
  ]
}

/** @internal */
export const completion = (text: string, options?: BuildOptions): Completions.Completion => {
  const prompt = options?.promptTokens ?? 8
  const n = words(text)
  return {
    id: options?.id ?? "cmpl-test",
    object: "text_completion",
    created: FAKE_CREATED,
    model: options?.model ?? "test-model",
    choices: [{ index: 0, text, finish_reason: "stop" }],
    usage: { prompt_tokens: prompt, completion_tokens: n, total_tokens: prompt + n }
  }
}

/** @internal */
export const completionChunksOf = (value: Completions.Completion): Array<Completions.CompletionChunk> => [
  ...value.choices.map((choice): Completions.CompletionChunk => ({
    ...value,
    choices: [{ index: choice.index, text: choice.text, finish_reason: choice.finish_reason ?? null }],
    usage: null
  })),
  ...(value.usage === undefined || value.usage === null ? [] : [{ ...value, choices: [], usage: value.usage }])
]

/** @internal */
export const response = (text: string, options?: BuildOptions): Responses.Response => {
  const prompt = options?.promptTokens ?? 8
  const n = words(text)
  return Schema.decodeUnknownSync(Responses.Response)({
    id: options?.id ?? "resp-test",
    object: "response",
    created_at: FAKE_CREATED,
    status: "completed",
    model: options?.model ?? "test-model",
    output: [{
      type: "message",
      id: "msg-test",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text, annotations: [] }]
    }],
    usage: { input_tokens: prompt, output_tokens: n, total_tokens: prompt + n }
  })
}

/** @internal */
export const responseEventsOf = (value: Responses.Response): Array<Responses.ResponseStreamEvent> => {
  const events: Array<Responses.ResponseStreamEvent> = [
    { type: "response.created", response: { ...value, status: "in_progress", output: [], output_text: "" } }
  ]
  value.output.forEach((item, output_index) => {
    events.push({ type: "response.output_item.added", output_index, item })
    if (item.type === "message") {
      const item_id = item.id as string
      ;(item.content as ReadonlyArray<{ readonly type: string; readonly text?: unknown }>).forEach(
        (part, content_index) => {
          if (part.type !== "output_text" || typeof part.text !== "string") return
          events.push({
            type: "response.output_text.delta",
            item_id,
            output_index,
            content_index,
            delta: part.text
          })
          events.push({
            type: "response.output_text.done",
            item_id,
            output_index,
            content_index,
            text: part.text
          })
        }
      )
    }
    events.push({ type: "response.output_item.done", output_index, item })
  })
  events.push({ type: "response.completed", response: value })
  return events
}
