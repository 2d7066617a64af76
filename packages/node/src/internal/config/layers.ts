import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import {
  type OnDemand,
  OnDemandLayer,
  type Serverless,
  ServerlessLayer,
  type Transport as CoreTransport,
  type ValidationError
} from "@tensormesh-effect/core"
import { Effect, Layer } from "effect"
import type * as Api from "../../NodeTensormesh.js"
import * as Transport from "../transport.js"
import { describe } from "./describe.js"
import { clientOptions, type Input, type Needs, resolve, type Resolved } from "./resolve.js"

const transportInput = (resolved: Resolved, options: Api.TransportOptions): Transport.Input => ({
  caBundle: resolved.caBundle === undefined
    ? undefined
    : {
      path: resolved.caBundle.value,
      source: resolved.caBundle.key === undefined
        ? resolved.caBundle.source
        : `${resolved.caBundle.source} ${resolved.caBundle.key}`
    },
  keepAliveTimeout: options.keepAliveTimeout,
  connectTimeout: options.connectTimeout,
  connections: options.connections
})

const common = (options: Api.LayerOptions | Api.ServerlessOptions | Api.OnDemandOptions): Input => ({
  apiKey: options.apiKey,
  timeout: options.timeout,
  maxRetries: options.maxRetries,
  idleTimeout: options.idleTimeout,
  caBundle: options.caBundle,
  readTmConfig: options.readTmConfig,
  limits: options.limits
})

/** Resolves the settings, then builds the layer from them, with the file system the resolution needs. */
const unwrap = <A, E, R>(
  input: Input,
  needs: Needs,
  build: (resolved: Resolved) => Layer.Layer<A, E, R>
): Layer.Layer<A, E | ValidationError, R> =>
  Layer.unwrapEffect(
    resolve(input, needs).pipe(Effect.map(build), Effect.provide(NodeFileSystem.layer))
  )

const withTransport = <A, E>(
  layer: Layer.Layer<A, E, CoreTransport.Transport>,
  resolved: Resolved,
  options: Api.TransportOptions,
  undiciTimeouts: Transport.UndiciTimeouts | undefined
): Layer.Layer<A, E | ValidationError> =>
  Layer.provide(
    layer,
    Transport.layerTransport({ ...transportInput(resolved, options), undiciTimeouts }).pipe(
      Layer.provide(NodeFileSystem.layer)
    )
  )

/**
 * Hooks for tests only.
 *
 * @internal
 */
export interface Internals {
  readonly undiciTimeouts?: Transport.UndiciTimeouts | undefined
}

/** @internal */
export const serverless = (
  options: Api.ServerlessOptions = {},
  internals: Internals = {}
): Layer.Layer<Serverless, ValidationError> =>
  unwrap(
    { ...common(options), serverlessBaseUrl: options.baseUrl },
    { serverless: true, onDemand: "unused", onDemandBaseUrlOption: "baseUrl" },
    (resolved) =>
      withTransport(
        ServerlessLayer.withTransport(clientOptions(resolved, resolved.serverlessBaseUrl.value, options)),
        resolved,
        options,
        internals.undiciTimeouts
      )
  )

const onDemandLayerOf = (resolved: Resolved, options: Api.OnDemandOptions | Api.LayerOptions) =>
  OnDemandLayer.withTransport({
    ...clientOptions(resolved, resolved.onDemandBaseUrl!.value, options),
    baseUrl: resolved.onDemandBaseUrl!.value,
    userId: resolved.userId!.value
  })

/** @internal */
export const onDemand = (
  options: Api.OnDemandOptions = {},
  internals: Internals = {}
): Layer.Layer<OnDemand, ValidationError> =>
  unwrap(
    { ...common(options), onDemandBaseUrl: options.baseUrl, userId: options.userId },
    { serverless: false, onDemand: "required", onDemandBaseUrlOption: "baseUrl" },
    (resolved) => withTransport(onDemandLayerOf(resolved, options), resolved, options, internals.undiciTimeouts)
  )

/** @internal */
export const layer = (
  options: Api.LayerOptions = {},
  internals: Internals = {}
): Layer.Layer<Serverless | OnDemand, ValidationError> =>
  unwrap(
    {
      ...common(options),
      serverlessBaseUrl: options.serverlessBaseUrl,
      onDemandBaseUrl: options.onDemandBaseUrl,
      userId: options.userId
    },
    { serverless: true, onDemand: "required", onDemandBaseUrlOption: "onDemandBaseUrl" },
    (resolved) =>
      withTransport(
        Layer.merge(
          ServerlessLayer.withTransport(clientOptions(resolved, resolved.serverlessBaseUrl.value, options)),
          onDemandLayerOf(resolved, options)
        ),
        resolved,
        options,
        internals.undiciTimeouts
      )
  )

/** @internal */
export const transport = (
  options: Api.TransportOptions & Api.ConfigOptions = {},
  internals: Internals = {}
): Layer.Layer<HttpClient.HttpClient, ValidationError> =>
  unwrap(
    { caBundle: options.caBundle, readTmConfig: options.readTmConfig },
    { serverless: false, onDemand: "unused", onDemandBaseUrlOption: "baseUrl" },
    (resolved) =>
      Transport.layer({ ...transportInput(resolved, options), undiciTimeouts: internals.undiciTimeouts }).pipe(
        Layer.provide(NodeFileSystem.layer)
      )
  )

/** @internal */
export const nodeTransport = (
  options: Api.TransportOptions & Api.ConfigOptions = {},
  internals: Internals = {}
): Layer.Layer<CoreTransport.Transport, ValidationError> =>
  unwrap(
    { caBundle: options.caBundle, readTmConfig: options.readTmConfig },
    { serverless: false, onDemand: "unused", onDemandBaseUrlOption: "baseUrl" },
    (resolved) =>
      Transport.layerTransport({ ...transportInput(resolved, options), undiciTimeouts: internals.undiciTimeouts }).pipe(
        Layer.provide(NodeFileSystem.layer)
      )
  )

/** @internal */
export const describeConfig = (options: Api.LayerOptions = {}): Effect.Effect<Api.ConfigDescription, ValidationError> =>
  resolve(
    {
      ...common(options),
      serverlessBaseUrl: options.serverlessBaseUrl,
      onDemandBaseUrl: options.onDemandBaseUrl,
      userId: options.userId
    },
    { serverless: true, onDemand: "optional", onDemandBaseUrlOption: "onDemandBaseUrl" }
  ).pipe(Effect.map(describe), Effect.provide(NodeFileSystem.layer))
