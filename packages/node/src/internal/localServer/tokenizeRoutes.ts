/**
 * `POST /tokenize` (prompt or messages form) and `POST /detokenize`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { type ApiFailure, badRequest } from "./errors.js"
import { checkPromptLength, minTokens, resolveModel } from "./limits.js"
import * as Reply from "./reply.js"
import type { RequestContext } from "./requestContext.js"
import { decodeBody, DetokenizeRequest, TokenizeMessagesRequest, TokenizePromptRequest } from "./requests.js"
import { chatPromptMessages, render } from "./template.js"
import { detokenize, tokenize, tokenText } from "./tokenizer.js"

const hasMessages = (body: unknown): boolean => typeof body === "object" && body !== null && "messages" in body

/** @internal */
export const tokenizeRoute = (ctx: RequestContext): Effect.Effect<Reply.Reply, ApiFailure> =>
  Effect.gen(function*() {
    let model: string
    let text: string
    let returnStrs: boolean
    if (hasMessages(ctx.body)) {
      const request = yield* decodeBody(TokenizeMessagesRequest, ctx.body)
      if (request.add_generation_prompt === true && request.continue_final_message === true) {
        return yield* badRequest(
          "Cannot set both `continue_final_message` and `add_generation_prompt` to True.",
          "continue_final_message"
        )
      }
      model = request.model
      returnStrs = request.return_token_strs === true
      text = render(
        chatPromptMessages(request.messages),
        {
          addGenerationPrompt: request.add_generation_prompt ?? true,
          continueFinalMessage: request.continue_final_message ?? false,
          tools: request.tools
        }
      )
    } else {
      const request = yield* decodeBody(TokenizePromptRequest, ctx.body)
      model = request.model
      returnStrs = request.return_token_strs === true
      text = request.prompt
    }
    const card = yield* resolveModel(model)
    // vLLM counts prompts beyond the context; past 3 × max_model_len code units, where even the fewest tokens the
    // text could have exceed it, the count is refused before tokenizing
    if (minTokens(text.length) > card.maxModelLen) yield* checkPromptLength(card, text.length, "prompt")
    const tokens = tokenize(text)
    return Reply.json({
      count: tokens.length,
      max_model_len: card.maxModelLen,
      tokens,
      token_strs: returnStrs ? tokens.map((id) => tokenText(id)!) : null
    })
  })

/** @internal */
export const detokenizeRoute = (ctx: RequestContext): Effect.Effect<Reply.Reply, ApiFailure> =>
  Effect.gen(function*() {
    const request = yield* decodeBody(DetokenizeRequest, ctx.body)
    yield* resolveModel(request.model)
    const decoded = detokenize(request.tokens)
    if (decoded._tag === "Invalid") {
      return yield* badRequest(`Token id ${decoded.ids[0]} is out of vocabulary`, "tokens")
    }
    return Reply.json({ prompt: decoded.text })
  })
