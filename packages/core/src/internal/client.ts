import type * as Chat from "../ChatCompletion.js"
import type { CallOptions } from "../ClientOptions.js"
import type {
  ChatCompletionsResource,
  CreateResource,
  GetResource,
  InferenceClient,
  ListResource,
  StreamingResource
} from "../InferenceClient.js"
import { type JsonEndpoint, jsonEndpoint, type StreamEndpoint, streamEndpoint } from "./endpoint.js"
import { layerCall } from "./pipeline.js"
import * as ChatCompletions from "./resources/chat/completions.js"
import * as Completions from "./resources/completions.js"
import * as Detokenize from "./resources/detokenize.js"
import * as Health from "./resources/health.js"
import * as Models from "./resources/models.js"
import * as Responses from "./resources/responses.js"
import * as Tokenize from "./resources/tokenize.js"
import * as Version from "./resources/version.js"
import type { Settings } from "./settings.js"
import { parseWith } from "./structured.js"

const streaming = <P, A, E>(
  json: JsonEndpoint<P, A>,
  stream: StreamEndpoint<P, E>
): StreamingResource<P, A, E> => ({
  create: json.create,
  stream: stream.stream,
  openStream: stream.open,
  withRawResponse: { create: json.raw },
  withStreamingResponse: { create: stream.streaming }
})

const withParse = (
  resource: StreamingResource<Chat.ChatCompletionCreateParams, Chat.ChatCompletion, Chat.ChatCompletionChunk>
): ChatCompletionsResource => ({ ...resource, parse: parseWith(resource.create) })

const creating = <P, A>(json: JsonEndpoint<P, A>): CreateResource<P, A> => ({
  create: json.create,
  withRawResponse: { create: json.raw }
})

const listing = <A>(json: JsonEndpoint<void, A>): ListResource<A> => ({
  list: (options?: CallOptions) => json.create(undefined, options),
  withRawResponse: { list: (options?: CallOptions) => json.raw(undefined, options) }
})

const getting = <A>(json: JsonEndpoint<void, A>): GetResource<A> => ({
  get: (options?: CallOptions) => json.create(undefined, options),
  withRawResponse: { get: (options?: CallOptions) => json.raw(undefined, options) }
})

/**
 * Builds the eight namespaces over one set of settings, from the resources' descriptors.
 *
 * @internal
 */
export const make = (settings: Settings): InferenceClient => {
  const defaults = layerCall(settings)
  return {
    surface: settings.surface,
    chat: {
      completions: withParse(streaming(
        jsonEndpoint(settings, defaults, ChatCompletions.create),
        streamEndpoint(settings, defaults, ChatCompletions.stream)
      ))
    },
    completions: streaming(
      jsonEndpoint(settings, defaults, Completions.create),
      streamEndpoint(settings, defaults, Completions.stream)
    ),
    responses: streaming(
      jsonEndpoint(settings, defaults, Responses.create),
      streamEndpoint(settings, defaults, Responses.stream)
    ),
    models: listing(jsonEndpoint(settings, defaults, Models.list)),
    tokenize: creating(jsonEndpoint(settings, defaults, Tokenize.create)),
    detokenize: creating(jsonEndpoint(settings, defaults, Detokenize.create)),
    health: getting(jsonEndpoint(settings, defaults, Health.get)),
    version: getting(jsonEndpoint(settings, defaults, Version.get))
  }
}
