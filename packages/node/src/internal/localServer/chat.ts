/**
 * `POST /v1/chat/completions`: `chat.completion` bodies and data-only `chat.completion.chunk` streams.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { type ApiFailure, badRequest } from "./errors.js"
import {
  type AnswerFormat,
  digest,
  type Generation,
  idsOf,
  planChat,
  run,
  textOf,
  type ToolSelection,
  type Unit
} from "./generation.js"
import { schemaFromInstructions } from "./jsonSchema.js"
import { checkOutputTokens, checkPromptLength, maxTokensFor, resolveModel } from "./limits.js"
import type { ModelCard } from "./models.js"
import * as Reply from "./reply.js"
import type { RequestContext } from "./requestContext.js"
import { ChatRequest, type ChatTool, decodeBody, type ResponseFormat } from "./requests.js"
import { checkRanges, type SamplingNumbers } from "./sampling.js"
import { chatPromptMessages, lastTurn, render } from "./template.js"
import { tokenize } from "./tokenizer.js"
import { chatUsage, type Counts } from "./usage.js"

/** @internal */
export const reasoningKey = (model: ModelCard): "reasoning" | "reasoning_content" =>
  model.reasoning === "reasoning_content" ? "reasoning_content" : "reasoning"

/** @internal */
export const answerFormat = (format: ResponseFormat | undefined): AnswerFormat => {
  if (format === undefined || format.type === "text") return { _tag: "text" }
  return { _tag: "json", schema: format.type === "json_schema" ? format.json_schema.schema : undefined }
}

/**
 * `json_object` mode follows a JSON Schema given as the last line of a system message (see `schemaFromInstructions`).
 *
 * @internal
 */
export const hintedFormat = (
  format: AnswerFormat,
  messages: ReadonlyArray<{ readonly role: string; readonly text: string }>
): AnswerFormat =>
  format._tag === "json" && format.schema === undefined
    ? { _tag: "json", schema: schemaFromInstructions(messages) }
    : format

/** @internal */
export const stopList = (stop: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  stop === undefined ? [] : typeof stop === "string" ? [stop] : stop

/**
 * Checks shared by the generating routes: vLLM's ranges on sampling numbers, `stream_options` needs
 * `stream: true`, `n > 1` needs sampling.
 *
 * @internal
 */
export const checkSampling = (
  request: SamplingNumbers & {
    readonly stream?: boolean | undefined
    readonly stream_options?: unknown
    readonly n?: number | undefined
  }
): Effect.Effect<void, ApiFailure> => Effect.zipRight(checkRanges(request), checkStreaming(request))

const checkStreaming = (request: {
  readonly stream?: boolean | undefined
  readonly stream_options?: unknown
  readonly n?: number | undefined
  readonly temperature?: number | undefined
}): Effect.Effect<void, ApiFailure> => {
  if (request.stream_options !== undefined && request.stream !== true) {
    return Effect.fail(badRequest("Stream options can only be defined when `stream=True`.", "stream_options"))
  }
  if ((request.n ?? 1) > 1 && request.temperature === 0) {
    return Effect.fail(badRequest("n > 1 is not supported with temperature 0 (greedy sampling).", "n"))
  }
  return Effect.void
}

const selectTool = (
  tools: ReadonlyArray<ChatTool> | undefined,
  choice: ChatRequest["tool_choice"],
  afterToolResult: boolean
): Effect.Effect<ToolSelection | undefined, ApiFailure> => {
  if (tools !== undefined && tools.length === 0) {
    return Effect.fail(badRequest("`tools` must contain at least one function.", "tools"))
  }
  if (tools === undefined) {
    return choice === undefined || choice === "none"
      ? Effect.succeed(undefined)
      : Effect.fail(badRequest("When using `tool_choice`, `tools` must be set.", "tool_choice"))
  }
  const select = (tool: ChatTool, named: boolean): ToolSelection => ({
    name: tool.function.name,
    parameters: tool.function.parameters,
    named
  })
  if (choice === "none") return Effect.succeed(undefined)
  if (typeof choice === "object") {
    const tool = tools.find((t) => t.function.name === choice.function.name)
    return tool === undefined
      ? Effect.fail(badRequest(
        `The tool specified in \`tool_choice\` (${choice.function.name}) does not match any of the specified \`tools\`.`,
        "tool_choice"
      ))
      : Effect.succeed(select(tool, true))
  }
  if (choice !== "required" && afterToolResult) return Effect.succeed(undefined)
  return Effect.succeed(select(tools[0]!, false))
}

const toolCallId = (model: ModelCard, prompt: string, index: number) =>
  `chatcmpl-tool-${digest(`${model.id}\u0000${prompt}\u0000${index}`)}${digest(`${index}\u0000${prompt}`)}`

/**
 * LMCache statistics, sent by the gpt-oss model as Tensormesh does on some models.
 *
 * @internal
 */
export const kvTransferParams = (model: ModelCard, cached: number) =>
  model.reasoning === "reasoning"
    ? { cached_token_stats: { num_vllm_cached_tokens: cached, num_lmcache_cached_tokens: 0 } }
    : null

/** @internal */
export const chatCompletions = (ctx: RequestContext): Effect.Effect<Reply.Reply, ApiFailure> =>
  Effect.gen(function*() {
    const request = yield* decodeBody(ChatRequest, ctx.body)
    const model = yield* resolveModel(request.model)
    yield* checkSampling(request)
    if (request.messages.length === 0) {
      return yield* badRequest("messages: must contain at least one message", "messages")
    }
    if ((request.top_logprobs ?? 0) > 0 && request.logprobs !== true) {
      return yield* badRequest("when using `top_logprobs`, `logprobs` must be set to true.", "top_logprobs")
    }
    if (request.add_generation_prompt === true && request.continue_final_message === true) {
      return yield* badRequest(
        "Cannot set both `continue_final_message` and `add_generation_prompt` to True.",
        "continue_final_message"
      )
    }
    const messages = chatPromptMessages(request.messages)
    const turn = lastTurn(messages)
    const tool = yield* selectTool(request.tools, request.tool_choice, turn.toolResult !== undefined)
    const promptText = render(messages, {
      addGenerationPrompt: request.add_generation_prompt ?? true,
      continueFinalMessage: request.continue_final_message ?? false,
      tools: request.tools
    })
    yield* checkPromptLength(model, promptText.length, "messages")
    const promptIds = tokenize(promptText)
    const maxTokens = yield* maxTokensFor(
      model,
      promptIds.length,
      request.max_completion_tokens ?? request.max_tokens,
      {
        noun: "messages",
        param: request.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens"
      }
    )
    const cache = ctx.cache.observe(model.id, promptIds)
    const plan = planChat({
      model,
      userText: turn.userText,
      toolResult: turn.toolResult,
      format: hintedFormat(answerFormat(request.response_format), messages),
      tool
    })
    const generation = run(request.include_reasoning === false ? { ...plan, reasoning: undefined } : plan, {
      stop: stopList(request.stop),
      maxTokens
    })
    const n = request.n ?? 1
    const returnTokenIds = request.return_token_ids === true
    yield* checkOutputTokens(n * (generation.completionTokens + (returnTokenIds ? promptIds.length : 0)))
    const counts: Counts = {
      prompt: promptIds.length,
      completion: generation.completionTokens * n,
      reasoning: generation.reasoningTokens * n,
      cache
    }
    const build: Build = {
      id: `chatcmpl-${ctx.requestId ?? ctx.newId()}`,
      created: ctx.created,
      model,
      n,
      generation,
      counts,
      promptIds,
      returnTokenIds,
      toolCallId: (index) => toolCallId(model, promptText, index)
    }
    if (request.stream === true) {
      return streamReply(build, {
        includeUsage: request.stream_options?.include_usage === true,
        continuousUsage: request.stream_options?.include_usage === true &&
          request.stream_options.continuous_usage_stats === true
      })
    }
    return Reply.json(completionBody(build))
  })

interface Build {
  readonly id: string
  readonly created: number
  readonly model: ModelCard
  readonly n: number
  readonly generation: Generation
  readonly counts: Counts
  readonly promptIds: ReadonlyArray<number>
  readonly returnTokenIds: boolean
  readonly toolCallId: (index: number) => string
}

const range = (n: number): Array<number> => Array.from({ length: n }, (_, i) => i)

const completionBody = (build: Build) => {
  const { generation, model } = build
  const reasoning = textOf(generation.units, "reasoning")
  const content = textOf(generation.units, "content") ??
    (generation.tool === undefined && reasoning === undefined ? "" : null)
  return {
    id: build.id,
    object: "chat.completion",
    created: build.created,
    model: model.id,
    choices: range(build.n).map((index) => ({
      index,
      message: {
        role: "assistant",
        content,
        refusal: null,
        annotations: null,
        audio: null,
        function_call: null,
        tool_calls: generation.tool === undefined ? [] : [{
          id: build.toolCallId(index),
          type: "function",
          function: { name: generation.tool.name, arguments: generation.tool.arguments }
        }],
        [reasoningKey(model)]: reasoning ?? null
      },
      logprobs: null,
      finish_reason: generation.finishReason,
      stop_reason: generation.stopReason,
      token_ids: build.returnTokenIds ? idsOf(generation.units) : null
    })),
    service_tier: null,
    system_fingerprint: null,
    usage: chatUsage(build.counts),
    prompt_logprobs: null,
    prompt_token_ids: build.returnTokenIds ? build.promptIds : null,
    kv_transfer_params: kvTransferParams(model, build.counts.cache.cached)
  }
}

const delta = (build: Build, unit: Unit, index: number): Record<string, unknown> => {
  switch (unit.kind) {
    case "reasoning":
      return { [reasoningKey(build.model)]: unit.text }
    case "content":
      return { content: unit.text }
    case "tool-name":
      return {
        tool_calls: [{
          index: 0,
          id: build.toolCallId(index),
          type: "function",
          function: { name: unit.text, arguments: "" }
        }]
      }
    case "arguments":
      return { tool_calls: [{ index: 0, function: { arguments: unit.text } }] }
  }
}

/** The frames of a streamed chat completion, one at a time. */
function* chatFrames(
  build: Build,
  options: { readonly includeUsage: boolean; readonly continuousUsage: boolean }
): Generator<string> {
  const { generation } = build
  const base = { id: build.id, object: "chat.completion.chunk", created: build.created, model: build.model.id }
  const prompt = build.counts.prompt
  const running = (completion: number) =>
    options.continuousUsage
      ? { usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } }
      : {}
  for (let index = 0; index < build.n; index++) {
    yield Reply.dataFrame({
      ...base,
      choices: [{ index, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
      prompt_token_ids: build.returnTokenIds ? build.promptIds : null,
      ...running(0)
    })
  }
  const units = generation.units
  const last = units[units.length - 1]
  const finishOnLast = last !== undefined && (last.kind === "content" || last.kind === "reasoning")
  let emitted = 0
  for (let position = 0; position < units.length; position++) {
    const unit = units[position]!
    emitted += unit.ids.length
    const finish = finishOnLast && position === units.length - 1
    for (let index = 0; index < build.n; index++) {
      yield Reply.dataFrame({
        ...base,
        choices: [{
          index,
          delta: delta(build, unit, index),
          logprobs: null,
          finish_reason: finish ? generation.finishReason : null,
          ...(finish ? { stop_reason: generation.stopReason } : {}),
          token_ids: build.returnTokenIds ? unit.ids : null
        }],
        ...running(emitted)
      })
    }
  }
  if (!finishOnLast) {
    for (let index = 0; index < build.n; index++) {
      yield Reply.dataFrame({
        ...base,
        choices: [{
          index,
          delta: {},
          logprobs: null,
          finish_reason: generation.finishReason,
          stop_reason: generation.stopReason,
          token_ids: null
        }],
        ...running(emitted)
      })
    }
  }
  if (options.includeUsage) yield Reply.dataFrame({ ...base, choices: [], usage: chatUsage(build.counts) })
}

const streamReply = (
  build: Build,
  options: { readonly includeUsage: boolean; readonly continuousUsage: boolean }
): Reply.Reply => Reply.sse("data", chatFrames(build, options))
