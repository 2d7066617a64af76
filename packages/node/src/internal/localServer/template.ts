/**
 * The chat template of the local server: `<|role|>content\n` per message, an optional `<|tools|>` line first and
 * `<|assistant|>` as the generation prompt.
 *
 * @internal
 */
import type { ChatMessage, Content } from "./requests.js"

/**
 * A message reduced to what the template and the generator read.
 *
 * @internal
 */
export interface PromptMessage {
  readonly role: string
  readonly text: string
}

/**
 * The text of a message content: a string, or its text parts joined (other parts become `<|type|>`).
 *
 * @internal
 */
export const contentText = (content: Content | undefined): string => {
  if (content === undefined) return ""
  if (typeof content === "string") return content
  return content.map((part) => part.text ?? `<|${part.type}|>`).join("")
}

/**
 * Chat messages as the template sees them: an assistant's `tool_calls` are appended to its text as JSON.
 *
 * @internal
 */
export const chatPromptMessages = (messages: ReadonlyArray<ChatMessage>): Array<PromptMessage> =>
  messages.map((message) => ({
    role: message.role,
    text: contentText(message.content) +
      (message.tool_calls !== undefined && message.tool_calls.length > 0 ? JSON.stringify(message.tool_calls) : "")
  }))

/** @internal */
export interface TemplateOptions {
  readonly addGenerationPrompt: boolean
  readonly continueFinalMessage: boolean
  readonly tools: unknown
}

/**
 * Renders messages into the prompt text that is tokenized.
 *
 * @internal
 */
export const render = (messages: ReadonlyArray<PromptMessage>, options: TemplateOptions): string => {
  let out = options.tools === undefined ? "" : `<|tools|>${JSON.stringify(options.tools)}\n`
  messages.forEach((message, index) => {
    const last = index === messages.length - 1
    out += `<|${message.role}|>${message.text}${last && options.continueFinalMessage ? "" : "\n"}`
  })
  if (options.addGenerationPrompt && !options.continueFinalMessage) out += "<|assistant|>"
  return out
}

/**
 * What the deterministic model answers to: the text of the last user message (or of the last message when there is
 * no user message), and the output of a tool when the conversation ends with a tool result.
 *
 * @internal
 */
export const lastTurn = (
  messages: ReadonlyArray<PromptMessage>
): { readonly userText: string; readonly toolResult: string | undefined } => {
  const lastUser = [...messages].reverse().find((message) => message.role === "user")
  const last = messages[messages.length - 1]
  return {
    userText: (lastUser ?? last)?.text ?? "",
    toolResult: last !== undefined && last.role === "tool" ? last.text : undefined
  }
}
