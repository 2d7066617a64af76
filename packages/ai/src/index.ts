/**
 * Tensormesh as an `@effect/ai` provider.
 *
 * @since 0.2.0
 */

/**
 * Tensormesh as an `@effect/ai` `LanguageModel`: `make`, `model`, `layer`, the provider `Config`.
 *
 * @since 0.2.0
 */
export * as TensormeshLanguageModel from "./TensormeshLanguageModel.js"

/**
 * An `@effect/ai` `Tokenizer` backed by the served model's `/tokenize` (chat template included).
 *
 * @since 0.2.0
 */
export * as TensormeshTokenizer from "./TensormeshTokenizer.js"

/**
 * `TensormeshError` → `AiError`, and back.
 *
 * @since 0.2.0
 */
export * as TensormeshAiError from "./TensormeshAiError.js"
