import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { type ClientOptions, OnDemandLayer, ServerlessLayer } from "@tensormesh-effect/core"
import { Context, Layer, Redacted } from "effect"
import type * as Api from "../../LocalServer.js"
import * as server from "./server.js"

/** The key and user id the client sends unless the server restricts them. @internal */
export const LOCAL_API_KEY = "ak-local"
/** @internal */
export const LOCAL_USER_ID = "00000000-0000-4000-8000-000000000000"

const withClient = <I, E>(
  tag: Context.Tag<Api.LocalServer, Api.Service>,
  options: Api.Options,
  client: (service: Api.Service) => Layer.Layer<I, E>
) =>
  Layer.flatMap(
    Layer.scoped(tag, server.make(options)),
    (context) => Layer.merge(Layer.succeedContext(context), client(Context.get(context, tag)))
  )

/** @internal */
export const serverlessLayer = (
  tag: Context.Tag<Api.LocalServer, Api.Service>,
  options: Api.Options & { readonly client?: ClientOptions | undefined } = {}
) =>
  withClient(tag, { ...options, mode: "serverless" }, (service) =>
    ServerlessLayer({
      apiKey: Redacted.make(options.apiKeys?.[0] ?? LOCAL_API_KEY),
      ...options.client,
      baseUrl: service.baseUrl
    }).pipe(Layer.provide(NodeHttpClient.layerUndici)))

/** @internal */
export const onDemandLayer = (
  tag: Context.Tag<Api.LocalServer, Api.Service>,
  options: Api.Options & { readonly client?: ClientOptions | undefined } = {}
) =>
  withClient(tag, { ...options, mode: "on-demand" }, (service) =>
    OnDemandLayer({
      apiKey: Redacted.make(options.apiKeys?.[0] ?? LOCAL_API_KEY),
      userId: options.userIds?.[0] ?? LOCAL_USER_ID,
      ...options.client,
      baseUrl: service.baseUrl
    }).pipe(Layer.provide(NodeHttpClient.layerUndici)))
