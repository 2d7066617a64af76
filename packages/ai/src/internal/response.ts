/**
 * Chat completions and chunks → `@effect/ai` response parts (encoded form, decoded by the library).
 *
 * @internal
 */
import * as AiError from "@effect/ai/AiError"
import type * as Response from "@effect/ai/Response"
import * as Tool from "@effect/ai/Tool"
import type { ChatCompletion, Usage } from "@tensormesh-effect/core"
import * as Effect from "effect/Effect"

const MODULE = "TensormeshLanguageModel"
const MAX_SHOWN_ARGUMENTS = 200

/**
 * The finish reason of the wire, in the library's terms; `stop` with tool calls (a named `tool_choice`) is
 * `tool-calls`.
 *
 * @internal
 */
export const finishReason = (reason: string | null | undefined, hasToolCalls: boolean): Response.FinishReason => {
  switch (reason) {
    case "stop":
      return hasToolCalls ? "tool-calls" : "stop"
    case "length":
      return "length"
    case "tool_calls":
    case "function_call":
      return "tool-calls"
    case "content_filter":
      return "content-filter"
    case null:
    case undefined:
      return hasToolCalls ? "tool-calls" : "unknown"
    default:
      return "other"
  }
}

/**
 * Usage in the library's terms: input, output and total tokens, cached input tokens and reasoning tokens when the
 * server reports them.
 *
 * @internal
 */
export const usageOf = (usage: Usage.Usage | null | undefined): typeof Response.Usage.Encoded => {
  if (usage === null || usage === undefined) {
    return { inputTokens: undefined, outputTokens: undefined, totalTokens: undefined }
  }
  const cached = usage.prompt_tokens_details?.cached_tokens
  const reasoning = usage.completion_tokens_details?.reasoning_tokens
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    totalTokens: usage.total_tokens,
    ...(typeof cached === "number" ? { cachedInputTokens: cached } : {}),
    ...(typeof reasoning === "number" ? { reasoningTokens: reasoning } : {})
  }
}

const timestampOf = (created: number): string | undefined => {
  const date = new Date(created * 1000)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

/** @internal */
export const metadataPart = (
  value: { readonly id: string; readonly model: string; readonly created: number }
): Response.ResponseMetadataPartEncoded => {
  const timestamp = timestampOf(value.created)
  return {
    type: "response-metadata",
    id: value.id,
    modelId: value.model,
    ...(timestamp === undefined ? {} : { timestamp })
  }
}

/**
 * The parameters of a tool call: its JSON arguments parsed (securely: no `__proto__` / `constructor.prototype`);
 * empty arguments are `{}`. Arguments that do not parse are the library's `MalformedOutput`.
 *
 * @internal
 */
export const parseArguments = (
  method: string,
  name: string,
  args: string
): Effect.Effect<unknown, AiError.MalformedOutput> =>
  Effect.try({
    try: () => args.trim() === "" ? {} : Tool.unsafeSecureJsonParse(args),
    catch: (cause) =>
      new AiError.MalformedOutput({
        module: MODULE,
        method,
        description: `the arguments of the call to tool '${name}' are not valid JSON: ` +
          (args.length > MAX_SHOWN_ARGUMENTS ? `${args.slice(0, MAX_SHOWN_ARGUMENTS)}…` : args),
        cause
      })
  })

/** @internal */
export type FinishMetadata = {
  /** The finish reason as the server sent it. */
  readonly finishReason: string | null
  /** Prompt tokens written to the prefix cache, when the server reports them. */
  readonly createdCacheTokens?: number
}

const finishMetadata = (
  reason: string | null | undefined,
  usage: Usage.Usage | null | undefined
): { readonly tensormesh: FinishMetadata } => {
  const created = usage?.prompt_tokens_details?.created_cache_tokens
  return {
    tensormesh: {
      finishReason: reason ?? null,
      ...(typeof created === "number" ? { createdCacheTokens: created } : {})
    }
  }
}

/**
 * The parts of a completion (choice 0): metadata, reasoning, text, tool calls, finish with usage.
 *
 * @internal
 */
export const completionParts = (
  completion: ChatCompletion.ChatCompletion
): Effect.Effect<Array<Response.PartEncoded>, AiError.MalformedOutput> =>
  Effect.gen(function*() {
    const parts: Array<Response.PartEncoded> = [metadataPart(completion)]
    const choice = completion.choices.find((c) => c.index === 0) ?? completion.choices[0]
    const message = choice?.message
    const reasoning = message?.reasoning ?? message?.reasoning_content
    if (typeof reasoning === "string" && reasoning.length > 0) parts.push({ type: "reasoning", text: reasoning })
    if (typeof message?.content === "string" && message.content.length > 0) {
      parts.push({ type: "text", text: message.content })
    }
    const calls = message?.tool_calls ?? []
    for (const call of calls) {
      const params = yield* parseArguments("generateText", call.function.name, call.function.arguments)
      parts.push({ type: "tool-call", id: call.id, name: call.function.name, params })
    }
    parts.push({
      type: "finish",
      reason: finishReason(choice?.finish_reason, calls.length > 0),
      usage: usageOf(completion.usage),
      metadata: finishMetadata(choice?.finish_reason, completion.usage)
    })
    return parts
  })

interface ToolCallState {
  readonly index: number | undefined
  id: string | undefined
  name: string | undefined
  arguments: string
  started: boolean
}

/**
 * The state of one chat stream (choice 0), turning chunks into stream parts:
 *
 * - the first chunk → `response-metadata`;
 * - `reasoning` deltas → `reasoning-start` / `reasoning-delta` / `reasoning-end`, `content` deltas →
 *   `text-start` / `text-delta` / `text-end` (a block ends when the other kind or a tool call begins);
 * - tool-call deltas → `tool-params-start` (once the name is known) / `tool-params-delta`, then at the end
 *   `tool-params-end` and `tool-call` with the parsed arguments;
 * - the end → `finish` with the last finish reason and the usage of the usage chunk.
 *
 * @internal
 */
export class StreamState {
  private started = false
  private open: { readonly kind: "text" | "reasoning"; readonly id: string } | undefined
  private blocks = 0
  private readonly calls: Array<ToolCallState> = []
  private reason: string | null | undefined
  private usage: Usage.Usage | null | undefined
  private fallbackId = "chatcmpl"

  push(chunk: ChatCompletion.ChatCompletionChunk): Array<Response.StreamPartEncoded> {
    const out: Array<Response.StreamPartEncoded> = []
    if (!this.started) {
      this.started = true
      this.fallbackId = chunk.id
      out.push(metadataPart(chunk))
    }
    if (chunk.usage !== undefined && chunk.usage !== null) this.usage = chunk.usage
    for (const choice of chunk.choices) {
      if (choice.index !== 0) continue
      const delta = choice.delta
      const reasoning = delta.reasoning ?? delta.reasoning_content
      if (typeof reasoning === "string" && reasoning !== "") this.text(out, "reasoning", reasoning)
      if (typeof delta.content === "string" && delta.content !== "") this.text(out, "text", delta.content)
      if (delta.tool_calls !== undefined && delta.tool_calls !== null) {
        for (const call of delta.tool_calls) this.toolCall(out, call)
      }
      if (choice.finish_reason !== undefined && choice.finish_reason !== null) this.reason = choice.finish_reason
    }
    return out
  }

  end(): Effect.Effect<Array<Response.StreamPartEncoded>, AiError.MalformedOutput> {
    return Effect.gen(this, function*() {
      const out: Array<Response.StreamPartEncoded> = []
      this.close(out)
      for (const call of this.calls) {
        const id = this.idOf(call)
        if (call.name === undefined) {
          return yield* new AiError.MalformedOutput({
            module: MODULE,
            method: "streamText",
            description: `a streamed tool call (${id}) never named its tool`
          })
        }
        const params = yield* parseArguments("streamText", call.name, call.arguments)
        if (call.started) out.push({ type: "tool-params-end", id })
        out.push({ type: "tool-call", id, name: call.name, params })
      }
      out.push({
        type: "finish",
        reason: finishReason(this.reason, this.calls.length > 0),
        usage: usageOf(this.usage),
        metadata: finishMetadata(this.reason, this.usage)
      })
      return out
    })
  }

  private text(out: Array<Response.StreamPartEncoded>, kind: "text" | "reasoning", delta: string): void {
    if (this.open?.kind !== kind) {
      this.close(out)
      const id = `${kind}-${this.blocks++}`
      this.open = { kind, id }
      out.push({ type: kind === "text" ? "text-start" : "reasoning-start", id })
    }
    out.push({ type: kind === "text" ? "text-delta" : "reasoning-delta", id: this.open.id, delta })
  }

  private close(out: Array<Response.StreamPartEncoded>): void {
    if (this.open === undefined) return
    out.push({ type: this.open.kind === "text" ? "text-end" : "reasoning-end", id: this.open.id })
    this.open = undefined
  }

  private idOf(call: ToolCallState): string {
    if (call.id === undefined) call.id = `${this.fallbackId}-tool-${this.calls.indexOf(call)}`
    return call.id
  }

  private toolCall(out: Array<Response.StreamPartEncoded>, delta: ChatCompletion.ToolCallDelta): void {
    this.close(out)
    let call: ToolCallState | undefined
    if (delta.index !== undefined) {
      call = this.calls.find((c) => c.index === delta.index)
    } else if (delta.id) {
      call = this.calls.find((c) => c.id === delta.id)
    } else {
      call = this.calls[this.calls.length - 1]
    }
    if (call === undefined) {
      call = { index: delta.index, id: undefined, name: undefined, arguments: "", started: false }
      this.calls.push(call)
    }
    if (call.id === undefined && delta.id) call.id = delta.id
    const fn = delta.function
    if (call.name === undefined && fn?.name) call.name = fn.name
    const args = fn?.arguments ?? ""
    if (!call.started && call.name !== undefined) {
      call.started = true
      const id = this.idOf(call)
      out.push({ type: "tool-params-start", id, name: call.name })
      if (call.arguments !== "") out.push({ type: "tool-params-delta", id, delta: call.arguments })
    }
    if (args !== "") {
      call.arguments += args
      if (call.started) out.push({ type: "tool-params-delta", id: this.idOf(call), delta: args })
    }
  }
}
