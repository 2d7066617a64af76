import * as HttpClient from "@effect/platform/HttpClient"
import { Config, type Context, Effect, Layer, Option } from "effect"
import type { ClientOptions, OnDemandOptions } from "../ClientOptions.js"
import type { InferenceClient } from "../InferenceClient.js"
import { make } from "./client.js"
import { resolveSettings, type Surface } from "./settings.js"

const layerFor = <I>(
  tag: Context.Tag<I, InferenceClient>,
  surface: Surface,
  options: ClientOptions | OnDemandOptions
) =>
  Layer.effect(
    tag,
    Effect.flatMap(HttpClient.HttpClient, (client) => Effect.map(resolveSettings(surface, options, client), make))
  )

/** @internal */
export const serverlessLayer = <I>(tag: Context.Tag<I, InferenceClient>, options: ClientOptions) =>
  layerFor(tag, "serverless", options)

/** @internal */
export const onDemandLayer = <I>(tag: Context.Tag<I, InferenceClient>, options: OnDemandOptions) =>
  layerFor(tag, "on-demand", options)

const optional = <A>(config: Config.Config<A>) => Config.map(Config.option(config), Option.getOrUndefined)

const common = {
  apiKey: optional(Config.redacted("TENSORMESH_INFERENCE_API_KEY")),
  timeout: optional(Config.map(Config.number("TENSORMESH_TIMEOUT_SECONDS"), (s) => s * 1000)),
  maxRetries: optional(Config.integer("TENSORMESH_MAX_RETRIES"))
}

/** @internal */
export const serverlessConfig: Config.Config<ClientOptions> = Config.all({
  ...common,
  baseUrl: optional(Config.string("TENSORMESH_SERVERLESS_BASE_URL"))
})

/** @internal */
export const onDemandConfig: Config.Config<OnDemandOptions> = Config.all({
  ...common,
  baseUrl: Config.string("TENSORMESH_ON_DEMAND_BASE_URL"),
  userId: Config.redacted("TENSORMESH_ON_DEMAND_USER_ID")
})

const defined = <A extends object>(options: A): Partial<A> =>
  Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<A>

/** @internal */
export const serverlessLayerConfig = <I>(tag: Context.Tag<I, InferenceClient>, options: Partial<ClientOptions>) =>
  Layer.unwrapEffect(
    Effect.map(serverlessConfig, (config) => serverlessLayer(tag, { ...defined(config), ...defined(options) }))
  )

/** @internal */
export const onDemandLayerConfig = <I>(tag: Context.Tag<I, InferenceClient>, options: Partial<OnDemandOptions>) =>
  Layer.unwrapEffect(
    Effect.map(
      options.baseUrl !== undefined && options.userId !== undefined
        ? Effect.map(Config.all(common), (c) => ({ ...defined(c), baseUrl: options.baseUrl!, userId: options.userId! }))
        : onDemandConfig,
      (config) => onDemandLayer(tag, { ...defined(config), ...defined(options) } as OnDemandOptions)
    )
  )
