import type * as HttpClient from "@effect/platform/HttpClient"
import { type OnDemand, OnDemandLayer } from "@tensormesh-effect/core/OnDemand"
import { type Serverless, ServerlessLayer } from "@tensormesh-effect/core/Serverless"
import { Tensormesh } from "@tensormesh-effect/core/Tensormesh"
import type { ValidationError } from "@tensormesh-effect/core/TensormeshError"
import type * as CoreTransport from "@tensormesh-effect/core/Transport"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Api from "../../NodeTensormesh.js"
import * as Transport from "../transport.js"
import { describe } from "./describe.js"
import { configError } from "./errors.js"
import * as LazyFileSystem from "./fileSystem.js"
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
  model: options.model,
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
    resolve(input, needs).pipe(Effect.map(build), Effect.provide(LazyFileSystem.layer))
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
      Layer.provide(LazyFileSystem.layer)
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
        ServerlessLayer.withTransport(serverlessOptions(resolved, options)),
        resolved,
        options,
        internals.undiciTimeouts
      )
  )

/** The serverless client's options: the `tm` file's model (`gateway_model_id`) is the on-demand deployment's. */
const serverlessOptions = (resolved: Resolved, options: Api.ServerlessOptions | Api.LayerOptions) => {
  const client = clientOptions(resolved, resolved.serverlessBaseUrl.value, options)
  return resolved.model?.source.startsWith("tm:") === true ? { ...client, model: undefined } : client
}

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
          ServerlessLayer.withTransport(serverlessOptions(resolved, options)),
          onDemandLayerOf(resolved, options)
        ),
        resolved,
        options,
        internals.undiciTimeouts
      )
  )

const SURFACE_ENV = "TENSORMESH_SURFACE"

/**
 * The surface `tensormesh` provides: the `surface` option, else `TENSORMESH_SURFACE`, else serverless.
 *
 * @internal
 */
export const resolveSurface = (
  option: "serverless" | "on-demand" | undefined
): Effect.Effect<"serverless" | "on-demand", ValidationError> => {
  if (option !== undefined) {
    return option === "serverless" || option === "on-demand"
      ? Effect.succeed(option)
      : Effect.fail(configError("surface", "option", "must be \"serverless\" or \"on-demand\""))
  }
  return Effect.flatMap(
    Effect.mapError(
      Config.option(Config.string(SURFACE_ENV)),
      () => configError("surface", `env:${SURFACE_ENV}`, "could not be read from the configuration provider")
    ),
    (found) => {
      if (Option.isNone(found) || found.value.trim() === "") return Effect.succeed("serverless" as const)
      const value = found.value.trim()
      return value === "serverless" || value === "on-demand"
        ? Effect.succeed(value)
        : Effect.fail(configError("surface", `env:${SURFACE_ENV}`, "must be \"serverless\" or \"on-demand\""))
    }
  )
}

/** @internal */
export const tensormesh = (
  options: Api.TensormeshOptions = {},
  internals: Internals = {}
): Layer.Layer<Tensormesh, ValidationError> =>
  Layer.unwrapEffect(Effect.map(resolveSurface(options.surface), (surface) =>
    surface === "serverless"
      ? Layer.provide(Tensormesh.serverless, serverless({ ...options, baseUrl: options.serverlessBaseUrl }, internals))
      : Layer.provide(Tensormesh.onDemand, onDemand({ ...options, baseUrl: options.onDemandBaseUrl }, internals))))

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
        Layer.provide(LazyFileSystem.layer)
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
        Layer.provide(LazyFileSystem.layer)
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
  ).pipe(Effect.map(describe), Effect.provide(LazyFileSystem.layer))
