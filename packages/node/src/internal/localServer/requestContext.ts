/**
 * What a route handler gets besides its body.
 *
 * @internal
 */
import type { PrefixCache } from "./prefixCache.js"

/** @internal */
export interface RequestContext {
  /** The parsed JSON body (`undefined` on GET routes). */
  readonly body: unknown
  /** Unix seconds. */
  readonly created: number
  /** The incoming `X-Request-Id`, which vLLM turns into the body id. */
  readonly requestId: string | undefined
  /** A fresh random hexadecimal id. */
  readonly newId: () => string
  readonly cache: PrefixCache
  readonly responsesUsage: "chat" | "native"
}
