/**
 * Emulated prefix caching: the server remembers the token sequences of recent prompts per model and reports the
 * longest common prefix with any of them, in whole blocks, as cached tokens.
 *
 * @internal
 */

/** @internal */
export const BLOCK_SIZE = 16

/** @internal */
export const CAPACITY = 256

/** @internal */
export interface CacheUsage {
  /** Tokens reused from an earlier prompt (whole blocks). */
  readonly cached: number
  /** Whole blocks of this prompt that were not cached before. */
  readonly created: number
}

const commonPrefix = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  const max = Math.min(a.length, b.length)
  let i = 0
  while (i < max && a[i] === b[i]) i++
  return i
}

/** @internal */
export interface PrefixCache {
  /** Looks a prompt up, then remembers it. */
  readonly observe: (model: string, prompt: ReadonlyArray<number>) => CacheUsage
}

/** @internal */
export const makePrefixCache = (capacity: number = CAPACITY): PrefixCache => {
  const entries = new Map<string, Array<ReadonlyArray<number>>>()
  return {
    observe: (model, prompt) => {
      const seen = entries.get(model) ?? []
      let longest = 0
      for (const earlier of seen) longest = Math.max(longest, commonPrefix(earlier, prompt))
      const cached = Math.floor(longest / BLOCK_SIZE) * BLOCK_SIZE
      const created = Math.max(0, Math.floor(prompt.length / BLOCK_SIZE) * BLOCK_SIZE - cached)
      seen.push(prompt)
      if (seen.length > capacity) seen.shift()
      entries.set(model, seen)
      return { cached, created }
    }
  }
}
