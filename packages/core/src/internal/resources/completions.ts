import * as Completions from "../../Completion.js"
import { type JsonDescriptor, makeDecoder, post, type StreamDescriptor } from "../endpoint.js"
import { chunkHandler, usageByDefault } from "./chunks.js"

const route = post("/completions")

/** `POST /v1/completions`. @internal */
export const create: JsonDescriptor<Completions.CompletionCreateParams, Completions.Completion> = {
  name: "completions",
  verb: "create",
  route,
  params: Completions.CompletionCreateParams,
  result: Completions.Completion
}

/** `POST /v1/completions` with `stream: true`. @internal */
export const stream: StreamDescriptor<Completions.CompletionCreateParams, Completions.CompletionChunk> = {
  name: "completions",
  route,
  params: Completions.CompletionCreateParams,
  streamFields: usageByDefault,
  handler: chunkHandler(makeDecoder(Completions.CompletionChunk)),
  terminal: "data: [DONE]"
}
