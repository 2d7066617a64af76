import * as Chat from "../../../ChatCompletion.js"
import { normaliseCompletion } from "../../chat.js"
import { type JsonDescriptor, makeDecoder, post, type StreamDescriptor } from "../../endpoint.js"
import { chunkHandler, usageByDefault } from "../chunks.js"

const route = post("/chat/completions")

/** `POST /v1/chat/completions`. @internal */
export const create: JsonDescriptor<Chat.ChatCompletionCreateParams, Chat.ChatCompletion> = {
  name: "chat.completions",
  verb: "create",
  route,
  params: Chat.ChatCompletionCreateParams,
  result: Chat.ChatCompletion,
  post: (completion, settings) => normaliseCompletion(completion, settings.stripThinking)
}

/** `POST /v1/chat/completions` with `stream: true`. @internal */
export const stream: StreamDescriptor<Chat.ChatCompletionCreateParams, Chat.ChatCompletionChunk> = {
  name: "chat.completions",
  route,
  params: Chat.ChatCompletionCreateParams,
  streamFields: usageByDefault,
  handler: chunkHandler(makeDecoder(Chat.ChatCompletionChunk)),
  terminal: "data: [DONE]"
}
