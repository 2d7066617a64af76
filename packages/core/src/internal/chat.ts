import type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatCompletionMessage,
  ToolCall
} from "../ChatCompletion.js"
import type { Usage } from "../Usage.js"
import { splitThink, type ThinkPiece, ThinkStreamSplitter } from "./think.js"

const joinReasoning = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined || a === "" ? b : b === undefined ? a : `${a}\n${b}`

/**
 * `reasoning` from the wire's `reasoning` or `reasoning_content`, plus a leaked `<think>` block moved out of
 * `content` when `stripThinking` is on.
 *
 * @internal
 */
export const normaliseMessage = (message: ChatCompletionMessage, stripThinking: boolean): ChatCompletionMessage => {
  const wire = message.reasoning ?? message.reasoning_content ?? undefined
  if (!stripThinking || typeof message.content !== "string") {
    return wire === (message.reasoning ?? undefined) ? message : { ...message, reasoning: wire ?? null }
  }
  const split = splitThink(message.content)
  if (split.reasoning === undefined && split.content === message.content) {
    return wire === (message.reasoning ?? undefined) ? message : { ...message, reasoning: wire ?? null }
  }
  return { ...message, content: split.content, reasoning: joinReasoning(wire, split.reasoning) ?? null }
}

/** @internal */
export const normaliseCompletion = (completion: ChatCompletion, stripThinking: boolean): ChatCompletion => {
  let changed = false
  const choices = completion.choices.map((choice) => {
    const message = normaliseMessage(choice.message, stripThinking)
    if (message === choice.message) return choice
    changed = true
    return { ...choice, message }
  })
  return changed ? { ...completion, choices } : completion
}

interface ToolCallState {
  index: number | undefined
  id: string | undefined
  type: string
  name: string | undefined
  arguments: string
}

interface ChoiceState {
  readonly index: number
  role: string
  content: string
  reasoning: string
  sawReasoning: boolean
  refusal: string
  sawRefusal: boolean
  readonly toolCalls: Array<ToolCallState>
  finishReason: string | null
  stopReason: string | number | null
  /** Set once a chunk carries `logprobs`: the token lists of `content` and `refusal`, concatenated. */
  logprobs: { content: Array<unknown> | null; refusal: Array<unknown> | null } | undefined
  tokenIds: Array<number> | undefined
}

/** Appends a chunk's token list (`logprobs.content` / `.refusal`) to the accumulated one. */
const appendList = (into: Array<unknown> | null, list: unknown): Array<unknown> | null => {
  if (!Array.isArray(list)) return into
  if (into === null) return list.slice()
  for (let i = 0; i < list.length; i++) into.push(list[i])
  return into
}

/**
 * Folds chat chunks into the completion a non-streaming call returns, field by field: content, reasoning and
 * refusal concatenated (`content` is `null` when the turn produced only tool calls, a refusal or reasoning, as the
 * server's own non-streaming answer has it), tool calls merged by `index` (by `id`, then the last call, when a
 * server omits `index`), `logprobs` (`content` and `refusal` token lists concatenated), `token_ids`, finish and
 * stop reasons, usage.
 *
 * @internal
 */
export class ChatAccumulator {
  private id = ""
  private created = 0
  private model = ""
  private usage: Usage | undefined
  private readonly choices = new Map<number, ChoiceState>()

  push(chunk: ChatCompletionChunk): void {
    if (this.id === "") {
      this.id = chunk.id
      this.created = chunk.created
      this.model = chunk.model
    }
    if (chunk.usage) this.usage = chunk.usage
    for (const choice of chunk.choices) {
      let state = this.choices.get(choice.index)
      if (state === undefined) {
        state = {
          index: choice.index,
          role: "assistant",
          content: "",
          reasoning: "",
          sawReasoning: false,
          refusal: "",
          sawRefusal: false,
          toolCalls: [],
          finishReason: null,
          stopReason: null,
          logprobs: undefined,
          tokenIds: undefined
        }
        this.choices.set(choice.index, state)
      }
      const delta = choice.delta
      if (delta.role) state.role = delta.role
      if (typeof delta.content === "string") state.content += delta.content
      const reasoning = delta.reasoning ?? delta.reasoning_content
      if (typeof reasoning === "string") {
        state.reasoning += reasoning
        state.sawReasoning = true
      }
      if (typeof delta.refusal === "string") {
        state.refusal += delta.refusal
        state.sawRefusal = true
      }
      if (delta.tool_calls) {
        for (const call of delta.tool_calls) mergeToolCall(state.toolCalls, call)
      }
      if (choice.finish_reason) state.finishReason = choice.finish_reason
      if (choice.stop_reason !== undefined && choice.stop_reason !== null) state.stopReason = choice.stop_reason
      const logprobs = choice.logprobs as { content?: unknown; refusal?: unknown } | null | undefined
      if (typeof logprobs === "object" && logprobs !== null) {
        state.logprobs ??= { content: null, refusal: null }
        state.logprobs.content = appendList(state.logprobs.content, logprobs.content)
        state.logprobs.refusal = appendList(state.logprobs.refusal, logprobs.refusal)
      }
      const tokenIds = (choice as { token_ids?: unknown }).token_ids
      if (Array.isArray(tokenIds)) {
        state.tokenIds ??= []
        for (let i = 0; i < tokenIds.length; i++) state.tokenIds.push(tokenIds[i])
      }
    }
  }

  done(stripThinking: boolean): ChatCompletion {
    const choices: Array<ChatCompletionChoice> = [...this.choices.values()]
      .sort((a, b) => a.index - b.index)
      .map((state) => {
        const toolCalls: Array<ToolCall> = state.toolCalls.map((call, i) => ({
          id: call.id ?? `call_${i}`,
          type: "function",
          function: { name: call.name ?? "", arguments: call.arguments }
        }))
        const message: ChatCompletionMessage = {
          role: state.role,
          content: state.content !== "" || (toolCalls.length === 0 && !state.sawRefusal && !state.sawReasoning)
            ? state.content
            : null,
          reasoning: state.sawReasoning ? state.reasoning : null,
          tool_calls: toolCalls,
          refusal: state.sawRefusal ? state.refusal : null
        }
        const choice: ChatCompletionChoice = {
          index: state.index,
          message: normaliseMessage(message, stripThinking),
          finish_reason: state.finishReason,
          stop_reason: state.stopReason,
          logprobs: state.logprobs ?? null
        }
        return state.tokenIds === undefined ? choice : { ...choice, token_ids: state.tokenIds }
      })
    return {
      id: this.id,
      object: "chat.completion",
      created: this.created,
      model: this.model,
      choices,
      usage: this.usage ?? null
    }
  }
}

const mergeToolCall = (
  calls: Array<ToolCallState>,
  delta: NonNullable<ChatCompletionChunk["choices"][number]["delta"]["tool_calls"]>[number]
) => {
  let call: ToolCallState | undefined
  if (delta.index !== undefined) {
    call = calls.find((c) => c.index === delta.index)
  } else if (delta.id) {
    call = calls.find((c) => c.id === delta.id)
  } else {
    call = calls[calls.length - 1]
  }
  if (call === undefined) {
    call = { index: delta.index, id: undefined, type: "function", name: undefined, arguments: "" }
    calls.push(call)
  }
  if (call.id === undefined && delta.id) call.id = delta.id
  if (delta.type) call.type = delta.type
  const fn = delta.function
  if (fn) {
    if (call.name === undefined && fn.name) call.name = fn.name
    if (fn.arguments) call.arguments += fn.arguments
  }
}

/**
 * Splits the content deltas of choice 0 into content and reasoning pieces: wire reasoning deltas are reasoning,
 * and leaked `<think>` blocks in content are moved to reasoning even when a tag is split across chunks.
 *
 * @internal
 */
export class ChatPieces {
  private readonly splitter = new ThinkStreamSplitter()

  push(chunk: ChatCompletionChunk, out: Array<ThinkPiece>): void {
    for (const choice of chunk.choices) {
      if (choice.index !== 0) continue
      const delta = choice.delta
      const reasoning = delta.reasoning ?? delta.reasoning_content
      if (typeof reasoning === "string" && reasoning !== "") out.push({ kind: "reasoning", text: reasoning })
      if (typeof delta.content === "string" && delta.content !== "") {
        for (const piece of this.splitter.push(delta.content)) out.push(piece)
      }
    }
  }

  end(out: Array<ThinkPiece>): void {
    for (const piece of this.splitter.end()) out.push(piece)
  }
}

/**
 * The texts of one kind (content or reasoning) of choice 0, chunk by chunk: what `ChatPieces` yields, filtered to
 * one kind, without a piece object per delta (a delta that passes the `<think>` splitter unchanged is used as is).
 *
 * @internal
 */
export class ChatTexts {
  private readonly splitter = new ThinkStreamSplitter()

  constructor(private readonly kind: ThinkPiece["kind"]) {}

  push(chunk: ChatCompletionChunk, out: Array<string>): void {
    const choices = chunk.choices
    for (let i = 0; i < choices.length; i++) {
      const choice = choices[i]
      if (choice.index !== 0) continue
      const delta = choice.delta
      const reasoning = delta.reasoning ?? delta.reasoning_content
      if (this.kind === "reasoning" && typeof reasoning === "string" && reasoning !== "") out.push(reasoning)
      const content = delta.content
      if (typeof content !== "string" || content === "") continue
      const plain = this.splitter.passThrough(content)
      if (plain !== undefined) {
        if (plain === this.kind) out.push(content)
        continue
      }
      for (const piece of this.splitter.push(content)) {
        if (piece.kind === this.kind) out.push(piece.text)
      }
    }
  }

  end(out: Array<string>): void {
    for (const piece of this.splitter.end()) {
      if (piece.kind === this.kind) out.push(piece.text)
    }
  }
}
