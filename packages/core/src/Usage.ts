/**
 * Token usage as the chat and completions routes report it.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { NonNegativeInt, nullish } from "./internal/schema.js"
import { tokensOf } from "./internal/telemetry.js"

/**
 * Prompt tokens served from the prefix cache (`cached_tokens`, null on some servers when zero) and, on
 * Tensormesh, tokens written to it (`created_cache_tokens`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PromptTokensDetails = Schema.Struct({
  cached_tokens: nullish(NonNegativeInt),
  created_cache_tokens: nullish(NonNegativeInt)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const CompletionTokensDetails = Schema.Struct({
  reasoning_tokens: nullish(NonNegativeInt)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const Usage = Schema.Struct({
  prompt_tokens: NonNegativeInt,
  completion_tokens: Schema.optionalWith(NonNegativeInt, { default: () => 0 }),
  total_tokens: NonNegativeInt,
  prompt_tokens_details: nullish(PromptTokensDetails),
  completion_tokens_details: nullish(CompletionTokensDetails)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Usage extends Schema.Schema.Type<typeof Usage> {}

/**
 * LMCache's per-request cache statistics, as Tensormesh sends them in `kv_transfer_params.cached_token_stats` on
 * some models: prompt tokens found in vLLM's prefix cache and in LMCache (CPU, disk or remote). Other fields are
 * kept as sent.
 *
 * @since 0.2.0
 * @category schemas
 */
export const CachedTokenStats = Schema.Struct(
  {
    num_vllm_cached_tokens: nullish(NonNegativeInt),
    num_lmcache_cached_tokens: nullish(NonNegativeInt)
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * @since 0.2.0
 * @category models
 */
export interface CachedTokenStats extends Schema.Schema.Type<typeof CachedTokenStats> {}

/**
 * What a response says of the prefix cache: `cachedTokens` from `usage.prompt_tokens_details.cached_tokens` (chat,
 * completions) or `usage.input_tokens_details.cached_tokens` (responses), and LMCache's `cached_token_stats` from
 * `kv_transfer_params` when the server sends them.
 *
 * @since 0.2.0
 * @category models
 */
export interface CacheInfo {
  readonly promptTokens: number | undefined
  readonly cachedTokens: number | undefined
  readonly vllmCachedTokens: number | undefined
  readonly lmcacheCachedTokens: number | undefined
  readonly stats: CachedTokenStats | undefined
}

const decodeStats = Schema.decodeUnknownOption(CachedTokenStats)

/**
 * The cache information of a chat completion, a completion, a Responses response, a stream chunk or a stream's
 * accumulated value (fields the value lacks, or that do not have the documented shape, are `undefined`).
 *
 * @example
 * ```ts
 * import { Usage } from "@tensormesh-effect/core"
 *
 * const info = Usage.cacheInfo({
 *   usage: { prompt_tokens: 80, completion_tokens: 12, total_tokens: 92, prompt_tokens_details: { cached_tokens: 64 } },
 *   kv_transfer_params: { cached_token_stats: { num_vllm_cached_tokens: 0, num_lmcache_cached_tokens: 64 } }
 * })
 * console.log(info.cachedTokens, info.lmcacheCachedTokens) // 64 64
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const cacheInfo = (value: {
  readonly usage?: unknown
  readonly kv_transfer_params?: unknown
}): CacheInfo => {
  // the same reading of a usage object as the spans and metrics make (chat, completions and responses shapes)
  const tokens = tokensOf(value.usage)
  const params = value.kv_transfer_params
  const raw = typeof params === "object" && params !== null
    ? (params as { readonly cached_token_stats?: unknown }).cached_token_stats
    : undefined
  const decoded = raw === undefined || raw === null ? undefined : decodeStats(raw)
  const stats = decoded !== undefined && decoded._tag === "Some" ? decoded.value : undefined
  return {
    promptTokens: tokens?.input,
    cachedTokens: tokens?.cached,
    vllmCachedTokens: stats?.num_vllm_cached_tokens ?? undefined,
    lmcacheCachedTokens: stats?.num_lmcache_cached_tokens ?? undefined,
    stats
  }
}
