/**
 * What calls cost, and what the prefix cache saved, from a pricing table of your own (per model, in currency units
 * per million tokens): for one response (chat, completion, Responses, or a stream's accumulated value), for a
 * usage object, or as a running total kept in a `Ref`.
 *
 * Input tokens served from the cache (`usage.prompt_tokens_details.cached_tokens`,
 * `usage.input_tokens_details.cached_tokens`) cost the cached-input price; the rest of the input the input price.
 * The savings are what the cached tokens would have cost at the input price, less what they cost.
 *
 * @example
 * ```ts
 * import { Cost } from "@tensormesh-effect/core"
 * import { Effect } from "effect"
 *
 * const pricing: Cost.Pricing = { "openai/gpt-oss-120b": { input: 2, cachedInput: 0.5, output: 8 } }
 *
 * const program = Effect.gen(function*() {
 *   const tracker = yield* Cost.tracker(pricing)
 *   yield* tracker.add({
 *     model: "openai/gpt-oss-120b",
 *     usage: { prompt_tokens: 80, completion_tokens: 12, total_tokens: 92, prompt_tokens_details: { cached_tokens: 64 } }
 *   })
 *   const total = yield* tracker.total
 *   console.log(total.cost, total.savings) // 0.00016 0.000096
 * })
 *
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"

/**
 * Prices per million tokens; `cachedInput` defaults to `input` (no discount).
 *
 * @since 0.2.0
 * @category models
 */
export interface Price {
  readonly input: number
  readonly cachedInput?: number | undefined
  readonly output: number
}

/**
 * Prices by model name, as the response's `model` (or the request's) spells it.
 *
 * @since 0.2.0
 * @category models
 */
export type Pricing = Readonly<Record<string, Price>>

/**
 * The cost of some usage, in the currency of the pricing table.
 *
 * @since 0.2.0
 * @category models
 */
export interface Breakdown {
  readonly inputTokens: number
  readonly cachedInputTokens: number
  readonly outputTokens: number
  /** Input tokens not served from the cache, at the input price. */
  readonly inputCost: number
  /** Cached input tokens at the cached-input price. */
  readonly cachedInputCost: number
  readonly outputCost: number
  readonly cost: number
  /** What the cached tokens would have cost at the input price, less what they cost. */
  readonly savings: number
}

/**
 * A usage as any route reports it (`prompt_tokens` / `completion_tokens`, or `input_tokens` / `output_tokens`).
 *
 * @since 0.2.0
 * @category models
 */
export interface UsageLike {
  readonly prompt_tokens?: number | null | undefined
  readonly completion_tokens?: number | null | undefined
  readonly input_tokens?: number | null | undefined
  readonly output_tokens?: number | null | undefined
  readonly total_tokens?: number | null | undefined
  readonly prompt_tokens_details?: { readonly cached_tokens?: number | null | undefined } | null | undefined
  readonly input_tokens_details?: { readonly cached_tokens?: number | null | undefined } | null | undefined
}

const count = (n: number | null | undefined): number => typeof n === "number" && Number.isFinite(n) && n > 0 ? n : 0

/**
 * The cost of a usage at a price.
 *
 * @since 0.2.0
 * @category constructors
 */
export const ofUsage = (price: Price, usage: UsageLike): Breakdown => {
  const inputTokens = count(usage.prompt_tokens ?? usage.input_tokens)
  const outputTokens = count(usage.completion_tokens ?? usage.output_tokens)
  const cachedInputTokens = Math.min(
    inputTokens,
    count(usage.prompt_tokens_details?.cached_tokens ?? usage.input_tokens_details?.cached_tokens)
  )
  const cachedPrice = price.cachedInput ?? price.input
  // in units per million tokens until the end: one rounding per figure
  const input = (inputTokens - cachedInputTokens) * price.input
  const cachedInput = cachedInputTokens * cachedPrice
  const output = outputTokens * price.output
  return {
    inputTokens,
    cachedInputTokens,
    outputTokens,
    inputCost: input / 1e6,
    cachedInputCost: cachedInput / 1e6,
    outputCost: output / 1e6,
    cost: (input + cachedInput + output) / 1e6,
    savings: (cachedInputTokens * (price.input - cachedPrice)) / 1e6
  }
}

/**
 * The cost of a response (anything with a `model` and a `usage`: a chat completion, a completion, a Responses
 * response, a stream's accumulated value); `None` when the model is not in the table or there is no usage.
 *
 * @since 0.2.0
 * @category constructors
 */
export const of = (
  pricing: Pricing,
  response: { readonly model: string; readonly usage?: UsageLike | null | undefined }
): Option.Option<Breakdown> => {
  const price = Object.hasOwn(pricing, response.model) ? pricing[response.model] : undefined
  return price === undefined || response.usage === undefined || response.usage === null
    ? Option.none()
    : Option.some(ofUsage(price, response.usage))
}

/**
 * A running total: every breakdown added, overall and by model, and how many responses were not priced.
 *
 * @since 0.2.0
 * @category models
 */
export interface Total extends Breakdown {
  readonly calls: number
  readonly unpriced: number
  readonly byModel: Readonly<Record<string, Breakdown>>
}

const zero: Breakdown = {
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  inputCost: 0,
  cachedInputCost: 0,
  outputCost: 0,
  cost: 0,
  savings: 0
}

/**
 * The sum of two breakdowns.
 *
 * @since 0.2.0
 * @category combinators
 */
export const sum = (a: Breakdown, b: Breakdown): Breakdown => ({
  inputTokens: a.inputTokens + b.inputTokens,
  cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
  inputCost: a.inputCost + b.inputCost,
  cachedInputCost: a.cachedInputCost + b.cachedInputCost,
  outputCost: a.outputCost + b.outputCost,
  cost: a.cost + b.cost,
  savings: a.savings + b.savings
})

/**
 * A `Ref`-backed running total over a pricing table.
 *
 * @since 0.2.0
 * @category models
 */
export interface Tracker {
  /** Adds a response's cost (nothing but the `unpriced` count when it cannot be priced); gives its breakdown. */
  readonly add: (
    response: { readonly model: string; readonly usage?: UsageLike | null | undefined }
  ) => Effect.Effect<Option.Option<Breakdown>>
  readonly total: Effect.Effect<Total>
  readonly reset: Effect.Effect<void>
}

const empty: Total = { ...zero, calls: 0, unpriced: 0, byModel: {} }

/**
 * Makes a running total.
 *
 * @since 0.2.0
 * @category constructors
 */
export const tracker = (pricing: Pricing): Effect.Effect<Tracker> =>
  Effect.map(Ref.make(empty), (ref): Tracker => ({
    add: (response) => {
      const breakdown = of(pricing, response)
      return Effect.as(
        Ref.update(ref, (total): Total => {
          if (Option.isNone(breakdown)) return { ...total, calls: total.calls + 1, unpriced: total.unpriced + 1 }
          const before = Object.hasOwn(total.byModel, response.model) ? total.byModel[response.model] : zero
          return {
            ...sum(total, breakdown.value),
            calls: total.calls + 1,
            unpriced: total.unpriced,
            byModel: { ...total.byModel, [response.model]: sum(before, breakdown.value) }
          }
        }),
        breakdown
      )
    },
    total: Ref.get(ref),
    reset: Ref.set(ref, empty)
  }))
