/**
 * An `@effect/ai` `Tokenizer` backed by the served model's own tokenizer and chat template: `POST /tokenize` in its
 * messages form, so `tokenize` counts what the model will be sent (the generation prompt included, as
 * `usage.prompt_tokens` counts it) and `Tokenizer.truncate` keeps what actually fits.
 *
 * @since 0.2.0
 */
import * as Tokenizer from "@effect/ai/Tokenizer"
import { Tensormesh } from "@tensormesh-effect/core"
import type { CallOptions } from "@tensormesh-effect/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as InternalErrors from "./internal/errors.js"
import * as InternalPrompt from "./internal/prompt.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The served model name. */
  readonly model: string
  /** Transport options of each `/tokenize` call. */
  readonly callOptions?: CallOptions | undefined
}

const site: InternalErrors.Site = { module: "TensormeshTokenizer", method: "tokenize", route: "/tokenize" }

/**
 * A `Tokenizer` of the model: the prompt is mapped to chat messages as `TensormeshLanguageModel` sends them and
 * tokenized by the server. An empty prompt has no tokens (and costs no request).
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Tokenizer.Service, never, Tensormesh> =>
  Effect.map(Tensormesh, (tm) =>
    Tokenizer.make({
      tokenize: (prompt) =>
        Effect.gen(function*() {
          const messages = yield* InternalPrompt.prepareMessages(prompt)
          if (messages.length === 0) return []
          const result = yield* tm.tokenize.create({ model: options.model, messages }, options.callOptions).pipe(
            Effect.mapError((error) => InternalErrors.fromTensormeshError(site, error))
          )
          return Array.from(result.tokens)
        }).pipe(
          Effect.withSpan("TensormeshTokenizer.tokenize", { attributes: { "gen_ai.request.model": options.model } })
        )
    }))

/**
 * The `Tokenizer` layer of a model.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Tokenizer.Tokenizer, never, Tensormesh> =>
  Layer.effect(Tokenizer.Tokenizer, make(options))
