/**
 * Where the examples run: the embedded local Tensormesh server when no TENSORMESH_INFERENCE_API_KEY is set,
 * otherwise the real service (TENSORMESH_SERVERLESS_BASE_URL, TENSORMESH_ON_DEMAND_BASE_URL,
 * TENSORMESH_ON_DEMAND_USER_ID and TENSORMESH_MODEL honoured).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { type OnDemand, OnDemandLayer, type Serverless, ServerlessLayer } from "@tensormesh-effect/core"
import * as LocalServer from "@tensormesh-effect/node/LocalServer"
import { Config, Console, Context, Effect, Layer, Option } from "effect"
import { Target } from "./Example.js"

/** Both surfaces against two in-process local servers (serverless and on-demand mode), stopped at the end. */
export const local = Layer.unwrapScoped(Effect.gen(function*() {
  const serverless = yield* Layer.build(LocalServer.serverlessLayer())
  const onDemand = yield* Layer.build(LocalServer.onDemandLayer())
  const serverlessUrl = Context.get(serverless, LocalServer.LocalServer).baseUrl
  const onDemandUrl = Context.get(onDemand, LocalServer.LocalServer).baseUrl
  yield* Console.log(
    `Running against the embedded local Tensormesh server at ${serverlessUrl} ` +
      `(on-demand mode at ${onDemandUrl}); set TENSORMESH_INFERENCE_API_KEY to use the real service.`
  )
  return Layer.mergeAll(
    Layer.succeedContext(Context.omit(LocalServer.LocalServer)(serverless)),
    Layer.succeedContext(Context.omit(LocalServer.LocalServer)(onDemand)),
    Layer.succeed(Target, {
      kind: "local",
      serverlessBaseUrl: serverlessUrl,
      model: "openai/gpt-oss-20b",
      onDemandModel: "openai/gpt-oss-20b",
      thinkingModel: "tensormesh/think-leak",
      onDemand: true
    })
  )
}))

/** Both surfaces against the real service, configured from the environment. */
export const remote = Layer.unwrapEffect(Effect.gen(function*() {
  const model = yield* Config.withDefault(Config.string("TENSORMESH_MODEL"), "openai/gpt-oss-20b")
  const serverlessBaseUrl = yield* Config.option(Config.string("TENSORMESH_SERVERLESS_BASE_URL"))
  const onDemandBase = yield* Config.option(Config.string("TENSORMESH_ON_DEMAND_BASE_URL"))
  const userId = yield* Config.option(Config.string("TENSORMESH_ON_DEMAND_USER_ID"))
  const onDemand = Option.isSome(onDemandBase) && Option.isSome(userId)
  yield* Console.log(
    `Running against the real Tensormesh service (model ${model}` +
      `${onDemand ? "" : "; on-demand examples skipped: set TENSORMESH_ON_DEMAND_BASE_URL and _USER_ID"}).`
  )
  return Layer.mergeAll(
    ServerlessLayer.config(),
    // Never called without on-demand settings: those examples are skipped.
    onDemand
      ? OnDemandLayer.config()
      : OnDemandLayer({ baseUrl: "https://on-demand.invalid/v1", userId: "00000000-0000-4000-8000-000000000000" }),
    Layer.succeed(Target, {
      kind: "remote",
      serverlessBaseUrl: Option.getOrUndefined(serverlessBaseUrl),
      model,
      onDemandModel: model,
      thinkingModel: model,
      onDemand
    })
  )
}))

/** The examples' environment, with the Node (undici) transport. */
export const environment = Layer.unwrapEffect(Effect.map(
  Config.option(Config.redacted("TENSORMESH_INFERENCE_API_KEY")),
  (key): Layer.Layer<Serverless | OnDemand | Target, unknown, HttpClient.HttpClient> =>
    Option.isSome(key) ? remote : local
)).pipe(Layer.provideMerge(NodeHttpClient.layerUndici))
