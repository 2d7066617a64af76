/**
 * `POST /v1/completions`: `text_completion` bodies and streams. A prompt list is a batch; the choice index is
 * `promptIndex * n + i`. The continuation is ` You said: <prompt>` (trimmed), 16 tokens at most by default.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { answerFormat, checkSampling, stopList } from "./chat.js"
import { type ApiFailure, badRequest } from "./errors.js"
import { type Generation, idsOf, type Plan, run, textOf } from "./generation.js"
import { jsonAnswer } from "./jsonSchema.js"
import { checkChoices, checkOutputTokens, checkPromptLength, maxTokensFor, resolveModel } from "./limits.js"
import type { ModelCard } from "./models.js"
import * as Reply from "./reply.js"
import type { RequestContext } from "./requestContext.js"
import { CompletionRequest, decodeBody } from "./requests.js"
import { detokenize, tokenize } from "./tokenizer.js"
import { chatUsage, type Counts, sumCounts } from "./usage.js"

/** @internal */
export const DEFAULT_MAX_TOKENS = 16

interface Prompt {
  readonly text: string
  readonly ids: ReadonlyArray<number>
}

/** How many prompts a `prompt` field holds: a string or a token list is one, a list of them is a batch. */
const promptCount = (prompt: CompletionRequest["prompt"]): number =>
  typeof prompt === "string" || typeof prompt[0] === "number" ? 1 : prompt.length

/** The prompts, each checked against the context from its length before it is tokenized. */
const prompts = (prompt: CompletionRequest["prompt"], model: ModelCard): Effect.Effect<Array<Prompt>, ApiFailure> => {
  const fromText = (text: string): Effect.Effect<Prompt, ApiFailure> =>
    Effect.map(checkPromptLength(model, text.length, "prompt"), () => ({ text, ids: tokenize(text) }))
  const fromIds = (ids: ReadonlyArray<number>): Effect.Effect<Prompt, ApiFailure> => {
    const decoded = detokenize(ids)
    return decoded._tag === "Text"
      ? Effect.succeed({ text: decoded.text, ids })
      : Effect.fail(badRequest(`Token id ${decoded.ids[0]} is out of vocabulary`, "prompt"))
  }
  if (typeof prompt === "string") return Effect.map(fromText(prompt), (p) => [p])
  const [first] = prompt
  if (typeof first === "string") return Effect.forEach(prompt as ReadonlyArray<string>, fromText)
  if (typeof first === "number") return Effect.map(fromIds(prompt as ReadonlyArray<number>), (p) => [p])
  return Effect.forEach(prompt as ReadonlyArray<ReadonlyArray<number>>, fromIds)
}

interface Output {
  readonly prompt: Prompt
  readonly generation: Generation
}

/** @internal */
export const completions = (ctx: RequestContext): Effect.Effect<Reply.Reply, ApiFailure> =>
  Effect.gen(function*() {
    const request = yield* decodeBody(CompletionRequest, ctx.body)
    const model = yield* resolveModel(request.model)
    if (request.suffix !== undefined && request.suffix !== null) {
      return yield* badRequest("suffix is not currently supported", "suffix")
    }
    yield* checkSampling(request)
    const format = answerFormat(request.response_format)
    const outputs: Array<Output> = []
    const counts: Array<Counts> = []
    const n = request.n ?? 1
    yield* checkChoices(n, promptCount(request.prompt))
    const echo = request.echo === true
    const returnIds = request.return_token_ids === true
    let outputTokens = 0
    for (const prompt of yield* prompts(request.prompt, model)) {
      const maxTokens = yield* maxTokensFor(model, prompt.ids.length, request.max_tokens, {
        fallback: DEFAULT_MAX_TOKENS,
        noun: "prompt",
        param: "max_tokens"
      })
      const cache = ctx.cache.observe(model.id, prompt.ids)
      const answer = `You said: ${prompt.text.trim()}`
      const plan: Plan = {
        reasoning: undefined,
        content: format._tag === "json" ? jsonAnswer(format.schema, answer) : ` ${answer}`,
        tool: undefined
      }
      const generation = run(plan, { stop: stopList(request.stop), maxTokens })
      outputTokens += n * (generation.completionTokens + (echo || returnIds ? prompt.ids.length : 0))
      yield* checkOutputTokens(outputTokens)
      outputs.push({ prompt, generation })
      counts.push({ prompt: prompt.ids.length, completion: generation.completionTokens * n, reasoning: 0, cache })
    }
    const usage = chatUsage(sumCounts(counts))
    const id = `cmpl-${ctx.requestId ?? ctx.newId()}`
    const base = { id, object: "text_completion", created: ctx.created, model: model.id }
    const choices = outputs.flatMap((output, p) => Array.from({ length: n }, (_, i) => ({ index: p * n + i, output })))
    if (request.stream !== true) {
      return Reply.json({
        ...base,
        choices: choices.map(({ index, output }) => ({
          index,
          text: (echo ? output.prompt.text : "") + (textOf(output.generation.units, "content") ?? ""),
          logprobs: null,
          finish_reason: output.generation.finishReason,
          stop_reason: output.generation.stopReason,
          token_ids: returnIds ? idsOf(output.generation.units) : null,
          prompt_logprobs: null,
          prompt_token_ids: returnIds ? output.prompt.ids : null
        })),
        service_tier: null,
        system_fingerprint: null,
        usage,
        kv_transfer_params: null
      })
    }
    const includeUsage = request.stream_options?.include_usage === true
    return Reply.sse("data", completionFrames({ base, choices, outputs, echo, returnIds, includeUsage, usage }))
  })

/** The frames of a streamed completion, one at a time: step by step, each choice's token in turn. */
function* completionFrames(build: {
  readonly base: Record<string, unknown>
  readonly choices: ReadonlyArray<{ readonly index: number; readonly output: Output }>
  readonly outputs: ReadonlyArray<Output>
  readonly echo: boolean
  readonly returnIds: boolean
  readonly includeUsage: boolean
  readonly usage: unknown
}): Generator<string> {
  const { base, choices, echo, returnIds } = build
  let steps = 1
  for (const output of build.outputs) steps = Math.max(steps, output.generation.units.length)
  for (let step = 0; step < steps; step++) {
    for (const { index, output } of choices) {
      const units = output.generation.units
      if (step >= Math.max(1, units.length)) continue
      const unit = units[step]
      const finish = step === Math.max(1, units.length) - 1
      yield Reply.dataFrame({
        ...base,
        choices: [{
          index,
          text: (echo && step === 0 ? output.prompt.text : "") + (unit?.text ?? ""),
          logprobs: null,
          finish_reason: finish ? output.generation.finishReason : null,
          stop_reason: finish ? output.generation.stopReason : null,
          token_ids: returnIds ? (unit?.ids ?? []) : null,
          prompt_token_ids: returnIds && step === 0 ? output.prompt.ids : null
        }]
      })
    }
  }
  if (build.includeUsage) yield Reply.dataFrame({ ...base, choices: [], usage: build.usage })
}
