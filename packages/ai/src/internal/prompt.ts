/**
 * `Prompt` → chat `messages`, `Toolkit` tools → `tools` / `tool_choice`, JSON response format → JSON mode.
 *
 * @internal
 */
import * as AiError from "@effect/ai/AiError"
import type * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Prompt from "@effect/ai/Prompt"
import * as Tool from "@effect/ai/Tool"
import type { ChatCompletion } from "@tensormesh-effect/core"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import type * as Schema from "effect/Schema"

type Message = ChatCompletion.ChatMessageParam
type ContentPart = typeof ChatCompletion.ContentPart.Type

const malformed = (method: string, description: string) =>
  new AiError.MalformedInput({ module: "TensormeshLanguageModel", method, description })

const isUrlText = (data: string) => /^(https?:|data:)/i.test(data)

const base64Of = (data: string | Uint8Array): string => typeof data === "string" ? data : Encoding.encodeBase64(data)

const urlOf = (part: Prompt.FilePart, mediaType: string): string => {
  if (part.data instanceof URL) return part.data.toString()
  if (typeof part.data === "string" && isUrlText(part.data)) return part.data
  return `data:${mediaType};base64,${base64Of(part.data)}`
}

const AUDIO_FORMATS: Record<string, string> = {
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/wave": "wav",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3"
}

/**
 * A file part as a chat content part: images as `image_url`, video as `video_url`, audio as `input_audio` (bytes or
 * base64) or `audio_url` (a URL). Other media types have no place in the chat API.
 */
const filePart = (part: Prompt.FilePart): Effect.Effect<ContentPart, AiError.MalformedInput> => {
  const mediaType = part.mediaType
  if (mediaType.startsWith("image/")) {
    return Effect.succeed({
      type: "image_url",
      image_url: { url: urlOf(part, mediaType === "image/*" ? "image/jpeg" : mediaType) }
    })
  }
  if (mediaType.startsWith("video/")) {
    return Effect.succeed({ type: "video_url", video_url: { url: urlOf(part, mediaType) } })
  }
  if (mediaType.startsWith("audio/")) {
    if (part.data instanceof URL || (typeof part.data === "string" && isUrlText(part.data))) {
      return Effect.succeed({ type: "audio_url", audio_url: { url: urlOf(part, mediaType) } })
    }
    const format = AUDIO_FORMATS[mediaType]
    if (format !== undefined) {
      return Effect.succeed({ type: "input_audio", input_audio: { data: base64Of(part.data), format } })
    }
  }
  return Effect.fail(
    malformed(
      "prepareMessages",
      `unsupported media type for a file part: '${mediaType}' (images, video and audio only)`
    )
  )
}

const jsonText = (value: unknown): string => {
  if (typeof value === "string") return value
  try {
    return JSON.stringify(value) ?? "null"
  } catch {
    return String(value)
  }
}

const toolMessage = (part: Prompt.ToolResultPart): Message => ({
  role: "tool",
  tool_call_id: part.id,
  content: part.isFailure ? jsonText({ error: part.result }) : jsonText(part.result)
})

/**
 * The chat messages of a prompt.
 *
 * - system → `{role: "system", content}`;
 * - user → `content`: a string for a single text part, else parts (`text`, `image_url`, `video_url`, `input_audio`,
 *   `audio_url`);
 * - assistant → `content` (its text parts), `reasoning` (its reasoning parts), `tool_calls` (arguments as JSON);
 * - tool results → one `{role: "tool", tool_call_id, content}` per result (a failure as `{"error": …}`).
 *
 * @internal
 */
export const prepareMessages = (
  prompt: Prompt.Prompt
): Effect.Effect<Array<Message>, AiError.MalformedInput> =>
  Effect.gen(function*() {
    const messages: Array<Message> = []
    for (const message of prompt.content) {
      switch (message.role) {
        case "system": {
          messages.push({ role: "system", content: message.content })
          break
        }
        case "user": {
          const parts = message.content
          if (parts.length === 1 && parts[0]!.type === "text") {
            messages.push({ role: "user", content: parts[0]!.text })
            break
          }
          const content: Array<ContentPart> = []
          for (const part of parts) {
            content.push(part.type === "text" ? { type: "text", text: part.text } : yield* filePart(part))
          }
          messages.push({ role: "user", content })
          break
        }
        case "assistant": {
          let text = ""
          let reasoning = ""
          const toolCalls: Array<ChatCompletion.ToolCall> = []
          const results: Array<Message> = []
          for (const part of message.content) {
            switch (part.type) {
              case "text":
                text += part.text
                break
              case "reasoning":
                reasoning += part.text
                break
              case "tool-call":
                toolCalls.push({
                  id: part.id,
                  type: "function",
                  function: { name: part.name, arguments: jsonText(part.params ?? {}) }
                })
                break
              case "tool-result":
                results.push(toolMessage(part))
                break
              case "file":
                return yield* malformed("prepareMessages", "an assistant message cannot carry a file part")
            }
          }
          messages.push({
            role: "assistant",
            content: text === "" && toolCalls.length > 0 ? null : text,
            ...(reasoning === "" ? {} : { reasoning }),
            ...(toolCalls.length === 0 ? {} : { tool_calls: toolCalls })
          })
          messages.push(...results)
          break
        }
        case "tool": {
          for (const part of message.content) messages.push(toolMessage(part))
          break
        }
      }
    }
    return messages
  })

/**
 * The system instruction that asks for a JSON object of the schema. It ends with the JSON Schema on a line of its
 * own.
 *
 * @internal
 */
export const schemaHint = (format: { readonly objectName: string; readonly schema: Schema.Schema.Any }): string => {
  const description = Tool.getDescriptionFromSchemaAst(format.schema.ast)
  return `Respond with a single JSON object ("${format.objectName}") and nothing else: no prose, no code fences.` +
    (description === undefined ? "" : ` It describes: ${description}.`) +
    ` It must conform to this JSON Schema:\n${JSON.stringify(Tool.getJsonSchemaFromSchemaAst(format.schema.ast))}`
}

/**
 * Adds the schema hint: appended to a leading system message, else as a new first system message (some chat
 * templates accept one system message only, and only first).
 *
 * @internal
 */
export const withSchemaHint = (messages: ReadonlyArray<Message>, hint: string): Array<Message> => {
  const first = messages[0]
  if (first !== undefined && first.role === "system" && typeof first.content === "string") {
    return [{ ...first, content: `${first.content}\n\n${hint}` }, ...messages.slice(1)]
  }
  return [{ role: "system", content: hint }, ...messages]
}

/**
 * How a model takes `tool_choice`: `"full"` (every mode) or `"auto-only"` (gpt-oss on Tensormesh).
 *
 * @internal
 */
export type ToolChoiceSupport = "full" | "auto-only"

/** @internal */
export const defaultToolChoiceSupport = (model: string): ToolChoiceSupport =>
  model.includes("gpt-oss") ? "auto-only" : "full"

/** @internal */
export interface PreparedTools {
  readonly tools?: ReadonlyArray<ChatCompletion.ChatTool>
  readonly tool_choice?: ChatCompletion.ChatCompletionCreateParams["tool_choice"]
  /** The requested `toolChoice` when it was degraded for an `"auto-only"` model. */
  readonly degraded?: string
}

const toolChoiceName = (choice: LanguageModel.ToolChoice<string>): string =>
  typeof choice === "string"
    ? choice
    : "tool" in choice
    ? `tool:${choice.tool}`
    : `${choice.mode ?? "auto"}:oneOf(${choice.oneOf.join(",")})`

/**
 * The toolkit's tools (JSON Schema from each tool's parameters schema; a description is always sent, as Tensormesh
 * requires one) and `tool_choice`.
 *
 * On an `"auto-only"` model: `"none"` sends no tools, `"required"` becomes `"auto"`, and a named tool becomes
 * `"auto"` with only that tool offered (the library has already narrowed `oneOf` to its tools).
 *
 * @internal
 */
export const prepareTools = (
  options: LanguageModel.ProviderOptions,
  support: ToolChoiceSupport
): Effect.Effect<PreparedTools, AiError.MalformedInput> =>
  Effect.gen(function*() {
    if (options.tools.length === 0) return {}
    const choice = options.toolChoice
    const tools: Array<ChatCompletion.ChatTool> = []
    for (const tool of options.tools) {
      if (!Tool.isUserDefined(tool)) {
        return yield* malformed("prepareTools", `provider-defined tool '${tool.name}' is not available on Tensormesh`)
      }
      const description = Tool.getDescription(tool as any)
      tools.push({
        type: "function",
        function: {
          name: tool.name,
          description: description !== undefined && description.length > 0 ? description : `The ${tool.name} tool.`,
          parameters: Tool.getJsonSchema(tool as any) as unknown as { readonly [key: string]: unknown }
        }
      })
    }
    const named = typeof choice === "object" && "tool" in choice ? choice.tool : undefined
    if (named !== undefined && !tools.some((tool) => tool.function.name === named)) {
      return yield* malformed("prepareTools", `toolChoice names '${named}', which is not in the toolkit`)
    }
    if (support === "auto-only") {
      const degraded =
        choice === "auto" || (typeof choice === "object" && "oneOf" in choice && choice.mode !== "required")
          ? {}
          : { degraded: toolChoiceName(choice) }
      if (choice === "none") return degraded
      const offered = named === undefined ? tools : tools.filter((tool) => tool.function.name === named)
      return { tools: offered, tool_choice: "auto", ...degraded }
    }
    if (named !== undefined) return { tools, tool_choice: { type: "function", function: { name: named } } }
    if (typeof choice === "object" && "oneOf" in choice) {
      return { tools, tool_choice: choice.mode === "required" ? "required" : "auto" }
    }
    return { tools, tool_choice: typeof choice === "string" ? choice : "auto" }
  })
