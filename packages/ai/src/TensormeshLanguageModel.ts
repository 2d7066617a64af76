/**
 * Tensormesh as an `@effect/ai` `LanguageModel`: `generateText`, `streamText`, `generateObject`, tool calling with
 * `Toolkit` and `Chat`, over `chat.completions` of the `Tensormesh` service (serverless or on-demand, whichever
 * layer provides it).
 *
 * @example
 * ```ts
 * import { LanguageModel } from "@effect/ai"
 * import { TensormeshLanguageModel } from "@tensormesh-effect/ai"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const response = yield* LanguageModel.generateText({ prompt: "Say hello." })
 *   return response.text
 * }).pipe(Effect.provide(TensormeshLanguageModel.model("openai/gpt-oss-20b", { temperature: 0 })))
 * // needs `Tensormesh`: e.g. Tensormesh.serverless with a ServerlessLayer and a transport
 * ```
 *
 * @since 0.2.0
 */
import type * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as AiModel from "@effect/ai/Model"
import type * as Response from "@effect/ai/Response"
import { addGenAIAnnotations } from "@effect/ai/Telemetry"
import type { CallOptions, ChatCompletion } from "@tensormesh-effect/core"
import { ChatStream, Tensormesh } from "@tensormesh-effect/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type { Span } from "effect/Tracer"
import type { Simplify } from "effect/Types"
import * as InternalErrors from "./internal/errors.js"
import * as InternalPrompt from "./internal/prompt.js"
import * as InternalResponse from "./internal/response.js"

/**
 * The provider name: `Model.ProviderName` and the `gen_ai.system` span attribute.
 *
 * @since 0.2.0
 * @category constants
 */
export const providerName = "tensormesh"

// =============================================================================
// Configuration
// =============================================================================

/**
 * Provider configuration of a call: the chat completion fields (wire names) and the call's transport options.
 * Set it once with `model(name, config)` / `layer({ model, config })`, and per call with `withConfigOverride`.
 *
 * @since 0.2.0
 * @category context
 */
export class Config extends Context.Tag("@tensormesh-effect/ai/TensormeshLanguageModel/Config")<
  Config,
  Config.Service
>() {
  /**
   * The configuration in the current context, if any.
   *
   * @since 0.2.0
   */
  static readonly getOrUndefined: Effect.Effect<Config.Service | undefined> = Effect.map(
    Effect.context<never>(),
    (context) => context.unsafeMap.get(Config.key)
  )
}

/**
 * @since 0.2.0
 */
export declare namespace Config {
  /**
   * `temperature`, `top_p`, `max_tokens` / `max_completion_tokens`, `seed`, `stop`, penalties, `logit_bias`,
   * `reasoning_effort`, `parallel_tool_calls`, `user`, `extraBody` (vLLM's `top_k`, `chat_template_kwargs`, …) and
   * the model. `messages`, `tools`, `tool_choice`, `response_format` and `stream_options` come from the library's
   * call; `n` is not offered (the library reads one choice).
   *
   * @since 0.2.0
   * @category models
   */
  export interface Service extends
    Simplify<
      Partial<
        Omit<
          ChatCompletion.ChatCompletionCreateParams,
          "messages" | "tools" | "tool_choice" | "response_format" | "stream_options" | "n"
        >
      >
    >
  {
    /** Transport options of the call: `timeout`, `maxRetries`, `idleTimeout`, `headers`. */
    readonly callOptions?: CallOptions | undefined
    /**
     * How the model takes `toolChoice`. `"full"`: as asked. `"auto-only"` (the default for gpt-oss models, which
     * accept only `"auto"` on Tensormesh): `"none"` sends no tools, `"required"` becomes `"auto"`, a named tool
     * becomes `"auto"` with only that tool offered; the requested choice is recorded on the span as
     * `tensormesh.tool_choice.degraded`.
     */
    readonly toolChoiceSupport?: "full" | "auto-only" | undefined
  }
}

/**
 * Runs an effect with the provider configuration overridden (merged over the current one).
 *
 * @since 0.2.0
 * @category configuration
 */
export const withConfigOverride: {
  (overrides: Config.Service): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, overrides: Config.Service): Effect.Effect<A, E, R>
} = dual<
  (overrides: Config.Service) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
  <A, E, R>(self: Effect.Effect<A, E, R>, overrides: Config.Service) => Effect.Effect<A, E, R>
>(2, (self, overrides) =>
  Effect.flatMap(
    Config.getOrUndefined,
    (config) => Effect.provideService(self, Config, { ...config, ...overrides })
  ))

// =============================================================================
// Provider metadata
// =============================================================================

declare module "@effect/ai/Response" {
  /**
   * @since 0.2.0
   */
  export interface FinishPartMetadata extends ProviderMetadata {
    readonly tensormesh?: {
      /** The finish reason as the server sent it (`stop`, `length`, `tool_calls`, `abort`, …) or null. */
      readonly finishReason: string | null
      /** Prompt tokens written to the prefix cache, when the server reports them. */
      readonly createdCacheTokens?: number | undefined
    } | undefined
  }
}

// =============================================================================
// Constructors
// =============================================================================

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The served model name, e.g. `openai/gpt-oss-20b`. */
  readonly model: string
  readonly config?: Omit<Config.Service, "model"> | undefined
}

const CHAT_ROUTE = "/chat/completions"

const site = (method: string): InternalErrors.Site => ({ module: "TensormeshLanguageModel", method, route: CHAT_ROUTE })

const annotateRequest = (
  span: Span,
  request: ChatCompletion.ChatCompletionCreateParams,
  degraded: string | undefined
): void => {
  addGenAIAnnotations(span, {
    system: providerName,
    operation: { name: "chat" },
    request: {
      model: request.model,
      temperature: request.temperature,
      topP: request.top_p,
      maxTokens: request.max_completion_tokens ?? request.max_tokens,
      seed: request.seed,
      stopSequences: typeof request.stop === "string" ? [request.stop] : request.stop,
      frequencyPenalty: request.frequency_penalty,
      presencePenalty: request.presence_penalty
    }
  })
  if (degraded !== undefined) span.attribute("tensormesh.tool_choice.degraded", degraded)
}

const annotateFinish = (span: Span, part: Response.FinishPartEncoded): void => {
  addGenAIAnnotations(span, {
    response: { finishReasons: [part.reason] },
    usage: { inputTokens: part.usage.inputTokens, outputTokens: part.usage.outputTokens }
  })
}

const annotateParts = (span: Span, parts: ReadonlyArray<Response.StreamPartEncoded | Response.PartEncoded>): void => {
  for (const part of parts) {
    if (part.type === "response-metadata") {
      addGenAIAnnotations(span, { response: { id: part.id, model: part.modelId } })
    } else if (part.type === "finish") {
      annotateFinish(span, part)
    }
  }
}

/**
 * A `LanguageModel` over the `Tensormesh` service's chat completions.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<LanguageModel.Service, never, Tensormesh> =>
  Effect.gen(function*() {
    const tm = yield* Tensormesh

    const prepare = (provider: LanguageModel.ProviderOptions) =>
      Effect.gen(function*() {
        const override = yield* Config.getOrUndefined
        const { callOptions, toolChoiceSupport, ...params } = { model: options.model, ...options.config, ...override }
        let messages = yield* InternalPrompt.prepareMessages(provider.prompt)
        const json = provider.responseFormat.type === "json"
        if (provider.responseFormat.type === "json") {
          messages = InternalPrompt.withSchemaHint(messages, InternalPrompt.schemaHint(provider.responseFormat))
        }
        const { degraded, ...tools } = yield* InternalPrompt.prepareTools(
          provider,
          toolChoiceSupport ?? InternalPrompt.defaultToolChoiceSupport(params.model ?? options.model)
        )
        const request: ChatCompletion.ChatCompletionCreateParams = {
          ...params,
          messages,
          ...tools,
          ...(json ? { response_format: { type: "json_object" } } : {})
        }
        annotateRequest(provider.span, request, degraded)
        return { request, callOptions }
      })

    return yield* LanguageModel.make({
      generateText: (provider) =>
        Effect.gen(function*() {
          const { callOptions, request } = yield* prepare(provider)
          const completion = yield* tm.chat.completions.create(request, callOptions).pipe(
            Effect.mapError((error) => InternalErrors.fromTensormeshError(site("generateText"), error))
          )
          const parts = yield* InternalResponse.completionParts(completion)
          annotateParts(provider.span, parts)
          return parts
        }),
      streamText: (provider) =>
        Stream.unwrap(Effect.map(prepare(provider), ({ callOptions, request }) =>
          Stream.suspend(() => {
            const state = new InternalResponse.StreamState()
            return tm.chat.completions.stream({ ...request, stream_options: { include_usage: true } }, callOptions)
              .pipe(
                Stream.mapError((error): AiError.AiError =>
                  InternalErrors.fromTensormeshError(site("streamText"), error)
                ),
                ChatStream.stripThinking,
                Stream.mapConcat((chunk) => state.push(chunk)),
                Stream.concat(Stream.fromIterableEffect(Effect.suspend(() => state.end()))),
                Stream.tap((part) => Effect.sync(() => annotateParts(provider.span, [part])))
              )
          })))
    })
  })

/**
 * The `LanguageModel` layer of a model.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel, never, Tensormesh> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))

/**
 * A model as an `@effect/ai` `Model` (a layer that also provides the provider name `tensormesh`), the way
 * `OpenAiLanguageModel.model` is.
 *
 * @since 0.2.0
 * @category ai models
 */
export const model = (
  name: string,
  config?: Omit<Config.Service, "model">
): AiModel.Model<"tensormesh", LanguageModel.LanguageModel, Tensormesh> =>
  AiModel.make(providerName, layer({ model: name, config }))
