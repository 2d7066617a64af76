import type { ServeError } from "@effect/platform/HttpServerError"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Api from "../../LocalServer.js"

/**
 * Starts a server, importing its implementation then: the HTTP stack (HttpRouter, NodeHttpServer, …) is loaded
 * when a server starts, not when `LocalServer` is imported (an app may import it and only start it without an API
 * key, as the examples do).
 *
 * @internal
 */
export const make = (options?: Api.Options): Effect.Effect<Api.Service, ServeError, Scope.Scope> =>
  Effect.flatMap(Effect.promise(() => import("./server.js")), (server) => server.make(options))
