/**
 * Usage objects: chat style (chat, completions, responses by default) and native responses style.
 *
 * @internal
 */
import type { CacheUsage } from "./prefixCache.js"

/** @internal */
export interface Counts {
  readonly prompt: number
  readonly completion: number
  readonly reasoning: number
  readonly cache: CacheUsage
}

/** @internal */
export const chatUsage = (counts: Counts) => ({
  prompt_tokens: counts.prompt,
  completion_tokens: counts.completion,
  total_tokens: counts.prompt + counts.completion,
  prompt_tokens_details: { cached_tokens: counts.cache.cached, created_cache_tokens: counts.cache.created }
})

/** @internal */
export const nativeUsage = (counts: Counts) => ({
  input_tokens: counts.prompt,
  input_tokens_details: { cached_tokens: counts.cache.cached, created_cache_tokens: counts.cache.created },
  output_tokens: counts.completion,
  output_tokens_details: { reasoning_tokens: counts.reasoning },
  total_tokens: counts.prompt + counts.completion
})

/** @internal */
export const sumCounts = (all: ReadonlyArray<Counts>): Counts => ({
  prompt: all.reduce((n, c) => n + c.prompt, 0),
  completion: all.reduce((n, c) => n + c.completion, 0),
  reasoning: all.reduce((n, c) => n + c.reasoning, 0),
  cache: {
    cached: all.reduce((n, c) => n + c.cache.cached, 0),
    created: all.reduce((n, c) => n + c.cache.created, 0)
  }
})
