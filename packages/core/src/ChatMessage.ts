/**
 * Message constructors: messages built away from the request typecheck without `as const`.
 *
 * @example
 * ```ts
 * import { ChatMessage, type ChatCompletion } from "@tensormesh-effect/core"
 *
 * const history = [ChatMessage.system("Be brief."), ChatMessage.user("Hi")]
 * const request: ChatCompletion.ChatCompletionCreateParams = { model: "m", messages: history }
 * assert.strictEqual(request.messages[1].role, "user")
 * ```
 *
 * @since 0.2.0
 */
import type * as Chat from "./ChatCompletion.js"

/**
 * @since 0.2.0
 * @category constructors
 */
export const system = (content: string): Chat.ChatSystemMessageParam => ({ role: "system", content })

/**
 * @since 0.2.0
 * @category constructors
 */
export const developer = (content: string): Chat.ChatDeveloperMessageParam => ({ role: "developer", content })

/**
 * @since 0.2.0
 * @category constructors
 */
export const user = (content: string): Chat.ChatUserMessageParam => ({ role: "user", content })

/**
 * An assistant turn: its text, or the tool calls it made.
 *
 * @since 0.2.0
 * @category constructors
 */
export const assistant = (
  content: string | null,
  toolCalls?: ReadonlyArray<Chat.ToolCall>
): Chat.ChatAssistantMessageParam =>
  ({
    role: "assistant",
    content,
    ...(toolCalls === undefined ? {} : { tool_calls: toolCalls })
  }) as Chat.ChatAssistantMessageParam

/**
 * The result of a tool call, answering the call `toolCallId`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const tool = (toolCallId: string, content: string): Chat.ChatToolMessageParam => ({
  role: "tool",
  tool_call_id: toolCallId,
  content
})
