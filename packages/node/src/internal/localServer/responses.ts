/**
 * `POST /v1/responses`: `response` bodies and `event:` streams as vLLM sends them.
 *
 * Streamed items carry bare uuid ids and `call_<uuid>` call ids; the final object rebuilds them as `rs_` / `msg_` /
 * `fc_` ids and `chatcmpl-tool-…` call ids.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { answerFormat, checkSampling, kvTransferParams, stopList } from "./chat.js"
import { type ApiFailure, badRequest, notFound } from "./errors.js"
import { type AnswerFormat, digest, type Generation, planChat, run, textOf, type ToolSelection } from "./generation.js"
import { checkPromptLength, maxTokensFor, resolveModel } from "./limits.js"
import * as Reply from "./reply.js"
import type { RequestContext } from "./requestContext.js"
import { type Content, decodeBody, type ResponsesInputItem, ResponsesRequest, type ResponsesTool } from "./requests.js"
import { contentText, lastTurn, type PromptMessage, render } from "./template.js"
import { tokenize } from "./tokenizer.js"
import { chatUsage, type Counts, nativeUsage } from "./usage.js"

const partsText = (content: unknown, index: number): Effect.Effect<string, ApiFailure> => {
  if (typeof content === "string") return Effect.succeed(content)
  if (Array.isArray(content)) {
    const parts: Array<{ type: string; text?: string }> = []
    for (const part of content) {
      if (typeof part !== "object" || part === null || typeof (part as { type?: unknown }).type !== "string") {
        return Effect.fail(badRequest(`input.${index}.content: each part needs a \`type\``, "input"))
      }
      const { text, type } = part as { type: string; text?: unknown }
      parts.push(typeof text === "string" ? { type, text } : { type })
    }
    return Effect.succeed(contentText(parts as Content))
  }
  return Effect.fail(badRequest(`input.${index}.content must be a string or a list of parts`, "input"))
}

const itemMessage = (item: ResponsesInputItem, index: number): Effect.Effect<PromptMessage | undefined, ApiFailure> => {
  switch (item.type ?? "message") {
    case "message": {
      if (item.role === undefined) return Effect.fail(badRequest(`input.${index}.role is missing`, "input"))
      const role = item.role
      return Effect.map(partsText(item.content, index), (text) => ({ role, text }))
    }
    case "function_call":
      return Effect.succeed({
        role: "assistant",
        text: JSON.stringify({ name: item.name ?? "", arguments: item.arguments ?? "" })
      })
    case "function_call_output":
      return Effect.succeed({
        role: "tool",
        text: typeof item.output === "string" ? item.output : JSON.stringify(item.output ?? null)
      })
    case "reasoning":
      return Effect.succeed(undefined)
    default:
      return Effect.fail(badRequest(`input.${index}: unsupported item type \`${item.type}\``, "input"))
  }
}

const inputMessages = (request: ResponsesRequest): Effect.Effect<Array<PromptMessage>, ApiFailure> =>
  Effect.gen(function*() {
    const messages: Array<PromptMessage> = []
    if (request.instructions !== undefined) messages.push({ role: "system", text: request.instructions })
    if (typeof request.input === "string") {
      messages.push({ role: "user", text: request.input })
    } else {
      for (const [index, item] of request.input.entries()) {
        const message = yield* itemMessage(item, index)
        if (message !== undefined) messages.push(message)
      }
    }
    return messages
  })

const selectTool = (
  tools: ReadonlyArray<ResponsesTool> | undefined,
  choice: ResponsesRequest["tool_choice"],
  afterToolResult: boolean
): Effect.Effect<ToolSelection | undefined, ApiFailure> => {
  const available = tools ?? []
  if (available.length === 0) {
    return choice === undefined || choice === "none"
      ? Effect.succeed(undefined)
      : Effect.fail(badRequest("When using `tool_choice`, `tools` must be set.", "tool_choice"))
  }
  if (choice === "none") return Effect.succeed(undefined)
  if (typeof choice === "object") {
    const tool = available.find((t) => t.name === choice.name)
    return tool === undefined
      ? Effect.fail(badRequest(
        `The tool specified in \`tool_choice\` (${choice.name}) does not match any of the specified \`tools\`.`,
        "tool_choice"
      ))
      : Effect.succeed({ name: tool.name, parameters: tool.parameters, named: true })
  }
  if (choice !== "required" && afterToolResult) return Effect.succeed(undefined)
  const first = available[0]!
  return Effect.succeed({ name: first.name, parameters: first.parameters, named: false })
}

const textFormat = (request: ResponsesRequest): AnswerFormat => {
  const format = request.text?.format
  if (format === undefined || format.type === "text") return { _tag: "text" }
  return answerFormat(
    format.type === "json_object"
      ? { type: "json_object" }
      : { type: "json_schema", json_schema: { name: format.name, schema: format.schema } }
  )
}

const uuid = (hex: string): string =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`

/** @internal */
export const responses = (ctx: RequestContext): Effect.Effect<Reply.Reply, ApiFailure> =>
  Effect.gen(function*() {
    const request = yield* decodeBody(ResponsesRequest, ctx.body)
    const model = yield* resolveModel(request.model)
    yield* checkSampling(request)
    if (request.prompt !== undefined && request.prompt !== null) {
      return yield* badRequest("Prompt templates are not supported.", "prompt")
    }
    if (request.background === true) {
      return yield* badRequest("Background mode needs a response store, and this server has none.", "background")
    }
    if (request.previous_response_id !== undefined) {
      return yield* notFound(`Response with id '${request.previous_response_id}' not found.`, "previous_response_id")
    }
    const messages = yield* inputMessages(request)
    const turn = lastTurn(messages)
    const tool = yield* selectTool(request.tools, request.tool_choice, turn.toolResult !== undefined)
    const promptText = render(messages, {
      addGenerationPrompt: true,
      continueFinalMessage: false,
      tools: request.tools
    })
    yield* checkPromptLength(model, promptText.length, "messages")
    const promptIds = tokenize(promptText)
    const maxTokens = yield* maxTokensFor(model, promptIds.length, request.max_output_tokens, {
      noun: "messages",
      param: "max_output_tokens"
    })
    const cache = ctx.cache.observe(model.id, promptIds)
    const plan = planChat({
      model,
      userText: turn.userText,
      toolResult: turn.toolResult,
      format: textFormat(request),
      tool
    })
    const generation = run(plan, { stop: stopList(request.stop), maxTokens })
    const counts: Counts = {
      prompt: promptIds.length,
      completion: generation.completionTokens,
      reasoning: generation.reasoningTokens,
      cache
    }
    const seed = `${model.id}\u0000${promptText}`
    const build: Build = {
      id: request.request_id ?? `resp_${ctx.requestId ?? ctx.newId()}`,
      created: ctx.created,
      request,
      generation,
      maxTokens,
      usage: ctx.responsesUsage === "native" ? nativeUsage(counts) : chatUsage(counts),
      kvTransferParams: kvTransferParams(model, cache.cached),
      model: model.id,
      finalIds: {
        reasoning: `rs_${digest(`rs\u0000${seed}`)}${ctx.newId().slice(0, 16)}`,
        message: `msg_${digest(`msg\u0000${seed}`)}${ctx.newId().slice(0, 16)}`,
        call: `fc_${digest(`fc\u0000${seed}`)}${ctx.newId().slice(0, 16)}`,
        callId: `chatcmpl-tool-${digest(`call\u0000${seed}`)}${digest(`${seed}\u0000call`)}`
      },
      streamIds: {
        reasoning: uuid(ctx.newId()),
        message: uuid(ctx.newId()),
        call: uuid(ctx.newId()),
        callId: `call_${uuid(ctx.newId())}`
      }
    }
    return request.stream === true ? streamReply(build) : Reply.json(responseObject(build, "final"))
  })

interface ItemIds {
  readonly reasoning: string
  readonly message: string
  readonly call: string
  readonly callId: string
}

interface Build {
  readonly id: string
  readonly created: number
  readonly request: ResponsesRequest
  readonly generation: Generation
  readonly maxTokens: number
  readonly usage: unknown
  readonly kvTransferParams: unknown
  readonly model: string
  readonly finalIds: ItemIds
  readonly streamIds: ItemIds
}

const incomplete = (build: Build) => build.generation.finishReason === "length"

const outputText = (text: string, logprobs: null | []) => ({ type: "output_text", text, annotations: [], logprobs })

const reasoningItem = (ids: ItemIds, text: string, status: string | null) => ({
  type: "reasoning",
  id: ids.reasoning,
  summary: [],
  content: [{ type: "reasoning_text", text }],
  encrypted_content: null,
  status
})

const messageItem = (build: Build, ids: ItemIds, text: string, logprobs: null | []) => ({
  type: "message",
  id: ids.message,
  role: "assistant",
  status: incomplete(build) ? "incomplete" : "completed",
  content: [outputText(text, logprobs)]
})

const callItem = (build: Build, ids: ItemIds, tool: { readonly name: string; readonly arguments: string }) => ({
  type: "function_call",
  id: ids.call,
  call_id: ids.callId,
  name: tool.name,
  arguments: tool.arguments,
  status: incomplete(build) ? "incomplete" : "completed"
})

/** Which output items the answer has, in order. */
const parts = (build: Build) => {
  const { units } = build.generation
  const reasoning = textOf(units, "reasoning")
  const content = textOf(units, "content")
  const tool = build.generation.tool
  const message = content ?? (tool === undefined && reasoning === undefined ? "" : undefined)
  return { reasoning, message, tool }
}

const responseObject = (build: Build, stage: "initial" | "final") => {
  const { reasoning, message, tool } = parts(build)
  const output: Array<unknown> = []
  if (stage === "final") {
    if (reasoning !== undefined) output.push(reasoningItem(build.finalIds, reasoning, null))
    if (message !== undefined) output.push(messageItem(build, build.finalIds, message, null))
    if (tool !== undefined) output.push(callItem(build, build.finalIds, tool))
  }
  const { request } = build
  return {
    id: build.id,
    created_at: build.created,
    incomplete_details: stage === "final" && incomplete(build) ? { reason: "max_output_tokens" } : null,
    instructions: request.instructions ?? null,
    metadata: request.metadata ?? null,
    model: build.model,
    object: "response",
    output,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    temperature: request.temperature ?? 1,
    tool_choice: request.tool_choice ?? "auto",
    tools: request.tools ?? [],
    top_p: request.top_p ?? 1,
    background: false,
    max_output_tokens: build.maxTokens,
    max_tool_calls: null,
    previous_response_id: null,
    prompt: null,
    reasoning: request.reasoning ?? null,
    service_tier: "auto",
    status: stage === "initial" ? "in_progress" : incomplete(build) ? "incomplete" : "completed",
    text: request.text ?? { format: { type: "text" } },
    top_logprobs: null,
    truncation: "disabled",
    usage: stage === "final" ? build.usage : null,
    user: request.user ?? null,
    input_messages: null,
    output_messages: null,
    kv_transfer_params: stage === "final" ? build.kvTransferParams : null
  }
}

const streamReply = (build: Build): Reply.Reply => Reply.sse("event", responseFrames(build))

/** The events of a streamed response, one at a time. */
function* responseFrames(build: Build): Generator<string> {
  let sequence = 0
  const push = (type: string, payload: Record<string, unknown>) =>
    Reply.eventFrame({ type, sequence_number: sequence++, ...payload })
  const ids = build.streamIds
  const { units } = build.generation
  const { message, reasoning, tool } = parts(build)
  const initial = responseObject(build, "initial")
  yield push("response.created", { response: initial })
  yield push("response.in_progress", { response: initial })
  let outputIndex = 0
  if (reasoning !== undefined) {
    const at = { item_id: ids.reasoning, output_index: outputIndex, content_index: 0 }
    yield push("response.output_item.added", {
      output_index: outputIndex,
      item: { ...reasoningItem(ids, "", "in_progress"), content: [] }
    })
    yield push("response.reasoning_part.added", { ...at, part: { type: "reasoning_text", text: "" } })
    for (const unit of units) {
      if (unit.kind === "reasoning") yield push("response.reasoning_text.delta", { ...at, delta: unit.text })
    }
    yield push("response.reasoning_text.done", { ...at, text: reasoning })
    yield push("response.reasoning_part.done", { ...at, part: { type: "reasoning_text", text: reasoning } })
    yield push("response.output_item.done", {
      output_index: outputIndex,
      item: reasoningItem(ids, reasoning, "completed")
    })
    outputIndex++
  }
  if (message !== undefined) {
    const at = { item_id: ids.message, output_index: outputIndex, content_index: 0 }
    yield push("response.output_item.added", {
      output_index: outputIndex,
      item: { type: "message", id: ids.message, role: "assistant", status: "in_progress", content: [] }
    })
    yield push("response.content_part.added", { ...at, part: outputText("", []) })
    for (const unit of units) {
      if (unit.kind === "content") yield push("response.output_text.delta", { ...at, delta: unit.text, logprobs: [] })
    }
    yield push("response.output_text.done", { ...at, text: message, logprobs: [] })
    yield push("response.content_part.done", { ...at, part: outputText(message, []) })
    yield push("response.output_item.done", { output_index: outputIndex, item: messageItem(build, ids, message, []) })
    outputIndex++
  }
  if (tool !== undefined) {
    const at = { item_id: ids.call, output_index: outputIndex }
    yield push("response.output_item.added", {
      output_index: outputIndex,
      item: { ...callItem(build, ids, { name: tool.name, arguments: "" }), status: "in_progress" }
    })
    for (const unit of units) {
      if (unit.kind === "arguments") yield push("response.function_call_arguments.delta", { ...at, delta: unit.text })
    }
    yield push("response.function_call_arguments.done", { ...at, arguments: tool.arguments, name: tool.name })
    yield push("response.output_item.done", { output_index: outputIndex, item: callItem(build, ids, tool) })
    outputIndex++
  }
  yield push("response.completed", { response: responseObject(build, "final") })
}
