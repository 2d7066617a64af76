/**
 * Deterministic generation: what each model answers, as a token sequence cut by stop strings and token limits.
 *
 * @internal
 */
import { jsonAnswer, toolArguments } from "./jsonSchema.js"
import type { ModelCard } from "./models.js"
import { tokenize, tokens } from "./tokenizer.js"

/**
 * One generated token (or, for `tool-name`, the whole function name, which costs its token count).
 *
 * @internal
 */
export interface Unit {
  readonly kind: "reasoning" | "content" | "tool-name" | "arguments"
  readonly text: string
  readonly ids: ReadonlyArray<number>
}

/** @internal */
export type AnswerFormat = { readonly _tag: "text" } | { readonly _tag: "json"; readonly schema: unknown }

/** @internal */
export interface ToolSelection {
  readonly name: string
  readonly parameters: unknown
  /** A named `tool_choice`: the finish reason is `stop`. */
  readonly named: boolean
}

/** @internal */
export interface ChatInput {
  readonly model: ModelCard
  readonly userText: string
  readonly toolResult: string | undefined
  readonly format: AnswerFormat
  readonly tool: ToolSelection | undefined
}

/**
 * What the model says before token limits: reasoning (in its own field), content and a tool call.
 *
 * @internal
 */
export interface Plan {
  readonly reasoning: string | undefined
  readonly content: string | undefined
  readonly tool: { readonly name: string; readonly arguments: string; readonly named: boolean } | undefined
}

/**
 * The plan of a chat-style answer (chat completions and responses).
 *
 * - `You said: <last user text>`, or `The tool returned: <output>` after a tool result;
 * - in JSON mode, a JSON object (`{"answer": ...}` or a value of the `json_schema`);
 * - with a tool selected, a call whose arguments match its parameters (filled from the last tool result when there
 *   is one: by name from a JSON object, else from its text; otherwise from the user text), and no content;
 * - reasoning in `reasoning` / `reasoning_content`, or leaked as a `<think>` block into content.
 *
 * @internal
 */
export const planChat = (input: ChatInput): Plan => {
  const { model, toolResult, userText } = input
  const plain = toolResult === undefined ? `You said: ${userText}` : `The tool returned: ${toolResult}`
  const answer = input.format._tag === "json" ? jsonAnswer(input.format.schema, plain) : plain
  const thought = input.tool !== undefined
    ? `The user said ${userText}. I will call ${input.tool.name}.`
    : toolResult === undefined
    ? `The user said ${userText}. I will echo it.`
    : `The tool returned ${toolResult}. I will report it.`
  const tool = input.tool === undefined ? undefined : {
    name: input.tool.name,
    // a call made after a tool result takes its arguments from that result (a chained lookup)
    arguments: toolArguments(input.tool.parameters, userText, toolResult),
    named: input.tool.named
  }
  switch (model.reasoning) {
    case "none":
      return { reasoning: undefined, content: tool === undefined ? answer : undefined, tool }
    case "think-leak":
      return {
        reasoning: undefined,
        content: tool === undefined ? `<think>${thought}</think>\n\n${answer}` : undefined,
        tool
      }
    default:
      return { reasoning: thought, content: tool === undefined ? answer : undefined, tool }
  }
}

/** @internal */
export type FinishReason = "stop" | "length" | "tool_calls"

/** @internal */
export interface Generation {
  readonly units: ReadonlyArray<Unit>
  readonly finishReason: FinishReason
  readonly stopReason: string | null
  readonly completionTokens: number
  readonly reasoningTokens: number
  readonly tool: { readonly name: string; readonly arguments: string } | undefined
}

const cutAtStop = (text: string, stop: ReadonlyArray<string>): { text: string; stop: string | null } => {
  let best: { index: number; stop: string } | undefined
  for (const candidate of stop) {
    if (candidate.length === 0) continue
    const index = text.indexOf(candidate)
    if (index !== -1 && (best === undefined || index < best.index)) best = { index, stop: candidate }
  }
  return best === undefined ? { text, stop: null } : { text: text.slice(0, best.index), stop: best.stop }
}

const unitsOf = (kind: "reasoning" | "content" | "arguments", text: string): Array<Unit> =>
  tokens(text).map((token) => ({ kind, text: token.text, ids: [token.id] }))

/**
 * Runs a plan: stop strings cut the content, then the output stops after `maxTokens` tokens.
 *
 * @internal
 */
export const run = (plan: Plan, options: { readonly stop: ReadonlyArray<string>; readonly maxTokens: number }) => {
  const all: Array<Unit> = []
  let stopReason: string | null = null
  if (plan.reasoning !== undefined) all.push(...unitsOf("reasoning", plan.reasoning))
  if (plan.content !== undefined) {
    const cut = cutAtStop(plan.content, options.stop)
    stopReason = cut.stop
    all.push(...unitsOf("content", cut.text))
  }
  if (plan.tool !== undefined) {
    all.push({ kind: "tool-name", text: plan.tool.name, ids: tokenize(plan.tool.name) })
    all.push(...unitsOf("arguments", plan.tool.arguments))
  }
  const units: Array<Unit> = []
  let cost = 0
  let truncated = false
  for (const unit of all) {
    if (cost + unit.ids.length > options.maxTokens) {
      truncated = true
      break
    }
    units.push(unit)
    cost += unit.ids.length
  }
  const named = units.find((unit) => unit.kind === "tool-name")
  const generation: Generation = {
    units,
    finishReason: truncated ? "length" : plan.tool === undefined || plan.tool.named ? "stop" : "tool_calls",
    stopReason: truncated ? null : stopReason,
    completionTokens: cost,
    reasoningTokens: units.filter((unit) => unit.kind === "reasoning").length,
    tool: named === undefined ? undefined : {
      name: named.text,
      arguments: textOf(units, "arguments") ?? ""
    }
  }
  return generation
}

/**
 * The concatenated text of the units of one kind, `undefined` when there is none.
 *
 * @internal
 */
export const textOf = (units: ReadonlyArray<Unit>, kind: Unit["kind"]): string | undefined => {
  const parts = units.filter((unit) => unit.kind === kind)
  return parts.length === 0 ? undefined : parts.map((unit) => unit.text).join("")
}

/**
 * The generated token ids.
 *
 * @internal
 */
export const idsOf = (units: ReadonlyArray<Unit>): Array<number> => units.flatMap((unit) => unit.ids)

/**
 * A deterministic hexadecimal digest (FNV-1a, 64 bits as two 32-bit lanes) for ids such as `chatcmpl-tool-…`.
 *
 * @internal
 */
export const digest = (text: string): string => {
  let a = 0x811c9dc5
  let b = 0x01000193
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    a = Math.imul(a ^ code, 0x01000193) >>> 0
    b = Math.imul(b ^ code ^ (a >>> 7), 0x01000193) >>> 0
  }
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0")
}
