/**
 * The route table: path, method, whether a key is needed, and the handler.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Api from "../../LocalServer.js"
import { chatCompletions } from "./chat.js"
import { completions } from "./completions.js"
import type { ApiFailure } from "./errors.js"
import { modelList } from "./models.js"
import * as Reply from "./reply.js"
import type { RequestContext } from "./requestContext.js"
import { responses } from "./responses.js"
import { detokenizeRoute, tokenizeRoute } from "./tokenizeRoutes.js"

/** @internal */
export const VERSION = "0.1.0-tensormesh-local"

/** @internal */
export interface Route {
  readonly path: Api.RoutePath
  readonly method: "GET" | "POST"
  readonly keyless: boolean
  readonly handler: (ctx: RequestContext) => Effect.Effect<Reply.Reply, ApiFailure>
}

/** @internal */
export const routes: ReadonlyArray<Route> = [
  { path: "/v1/chat/completions", method: "POST", keyless: false, handler: chatCompletions },
  { path: "/v1/completions", method: "POST", keyless: false, handler: completions },
  { path: "/v1/responses", method: "POST", keyless: false, handler: responses },
  {
    path: "/v1/models",
    method: "GET",
    keyless: true,
    handler: (ctx) => Effect.succeed(Reply.json(modelList(ctx.created)))
  },
  { path: "/tokenize", method: "POST", keyless: false, handler: tokenizeRoute },
  { path: "/detokenize", method: "POST", keyless: false, handler: detokenizeRoute },
  { path: "/health", method: "GET", keyless: true, handler: () => Effect.succeed(Reply.text("", 200, undefined)) },
  { path: "/version", method: "GET", keyless: true, handler: () => Effect.succeed(Reply.json({ version: VERSION })) }
]
