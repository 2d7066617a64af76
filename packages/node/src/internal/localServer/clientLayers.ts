import type { ClientOptions } from "@tensormesh-effect/core/ClientOptions"
import { OnDemandLayer } from "@tensormesh-effect/core/OnDemand"
import { ServerlessLayer } from "@tensormesh-effect/core/Serverless"
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Api from "../../LocalServer.js"
import * as LazyFileSystem from "../config/fileSystem.js"
import * as Transport from "../transport.js"
import * as server from "./start.js"

/** The clients of the local server run on the same Node transport as `NodeTensormesh`. */
const transport = Transport.layerTransport({}).pipe(Layer.provide(LazyFileSystem.layer))

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
    ServerlessLayer.withTransport({
      apiKey: Redacted.make(options.apiKeys?.[0] ?? LOCAL_API_KEY),
      ...options.client,
      baseUrl: service.baseUrl
    }).pipe(Layer.provide(transport)))

/** @internal */
export const onDemandLayer = (
  tag: Context.Tag<Api.LocalServer, Api.Service>,
  options: Api.Options & { readonly client?: ClientOptions | undefined } = {}
) =>
  withClient(tag, { ...options, mode: "on-demand" }, (service) =>
    OnDemandLayer.withTransport({
      apiKey: Redacted.make(options.apiKeys?.[0] ?? LOCAL_API_KEY),
      userId: options.userIds?.[0] ?? LOCAL_USER_ID,
      ...options.client,
      baseUrl: service.baseUrl
    }).pipe(Layer.provide(transport)))
