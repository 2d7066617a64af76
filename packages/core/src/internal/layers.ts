import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ClientOptions, OnDemandOptions } from "../ClientOptions.js"
import type { InferenceClient } from "../InferenceClient.js"
import { DEFAULT_SERVERLESS_BASE_URL, type Resolved } from "../Settings.js"
import type { ValidationError } from "../TensormeshError.js"
import { Transport } from "../Transport.js"
import { make } from "./client.js"
import { resolve } from "./config.js"
import { invalidConfig } from "./errors.js"
import { fromHttpClient } from "./httpTransport.js"
import { resolveSettings, type Surface } from "./settings.js"

/** A surface over the `Transport` in context. */
const layerFor = <I>(
  tag: Context.Tag<I, InferenceClient>,
  surface: Surface,
  options: ClientOptions | OnDemandOptions
) =>
  Layer.effect(
    tag,
    Effect.flatMap(Transport, (transport) =>
      options.transformClient !== undefined
        ? Effect.fail(invalidConfig("transformClient needs a layer that builds its transport from an HttpClient"))
        : Effect.map(resolveSettings(surface, options, transport), make))
  )

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

/**
 * Below a `transformClient` (which may follow redirects): a request to any other origin than the API's loses the
 * key and the user id.
 */
const credentialsOnlyTo = (client: HttpClient.HttpClient, origin: string | undefined): HttpClient.HttpClient => {
  const strip = (request: HttpClientRequest.HttpClientRequest) =>
    origin === undefined || originOf(request.url) === origin
      ? request
      : HttpClientRequest.make(request.method)(request.url, {
        // a new request: the header combinators merge, they cannot drop a header
        headers: Headers.remove(Headers.remove(request.headers, "authorization"), "x-user-id"),
        urlParams: request.urlParams,
        body: request.body
      } as HttpClientRequest.Options.NoUrl)
  // a transform runs for every hop of a redirect-following combinator above it; another origin gets a copy of the
  // request without the credentials instead
  return HttpClient.transform(client, (effect, request) => {
    const stripped = strip(request)
    return stripped === request ? effect : client.execute(stripped)
  })
}

/** A surface over a transport built from the `HttpClient` in context (adjusted by `transformClient`). */
const httpLayerFor = <I>(
  tag: Context.Tag<I, InferenceClient>,
  surface: Surface,
  { transformClient, ...options }: ClientOptions | OnDemandOptions
) =>
  Layer.provide(
    layerFor(tag, surface, options),
    Layer.effect(
      Transport,
      Effect.map(HttpClient.HttpClient, (client) =>
        fromHttpClient(
          transformClient
            ? transformClient(credentialsOnlyTo(client, originOf(options.baseUrl ?? DEFAULT_SERVERLESS_BASE_URL)))
            : client
        ))
    )
  )

/** @internal */
export const serverlessLayer = <I>(tag: Context.Tag<I, InferenceClient>, options: ClientOptions) =>
  httpLayerFor(tag, "serverless", options)

/** @internal */
export const onDemandLayer = <I>(tag: Context.Tag<I, InferenceClient>, options: OnDemandOptions) =>
  httpLayerFor(tag, "on-demand", options)

/** @internal */
export const serverlessWithTransport = <I>(tag: Context.Tag<I, InferenceClient>, options: ClientOptions) =>
  layerFor(tag, "serverless", options)

/** @internal */
export const onDemandWithTransport = <I>(tag: Context.Tag<I, InferenceClient>, options: OnDemandOptions) =>
  layerFor(tag, "on-demand", options)

const fromResolved = (resolved: Resolved) => ({
  apiKey: resolved.apiKey?.value,
  timeout: resolved.timeout.value,
  maxRetries: resolved.maxRetries.value,
  idleTimeout: resolved.idleTimeout.value,
  model: resolved.model?.value
})

const inputOf = (options: Partial<ClientOptions>) => ({
  apiKey: options.apiKey,
  timeout: options.timeout,
  maxRetries: options.maxRetries,
  idleTimeout: options.idleTimeout,
  model: options.model
})

/** @internal */
export const serverlessConfig: Effect.Effect<ClientOptions, ValidationError> = Effect.suspend(() =>
  serverlessOptions({})
)

const serverlessOptions = (options: Partial<ClientOptions>) =>
  Effect.map(
    resolve({ ...inputOf(options), serverlessBaseUrl: options.baseUrl }, {
      serverless: true,
      onDemand: "unused",
      onDemandBaseUrlOption: "baseUrl"
    }),
    (resolved): ClientOptions => ({ ...options, ...fromResolved(resolved), baseUrl: resolved.serverlessBaseUrl.value })
  )

const onDemandOptions = (options: Partial<OnDemandOptions>) =>
  Effect.map(
    resolve({ ...inputOf(options), onDemandBaseUrl: options.baseUrl, userId: options.userId }, {
      serverless: false,
      onDemand: "required",
      onDemandBaseUrlOption: "baseUrl"
    }),
    (resolved): OnDemandOptions => ({
      ...options,
      ...fromResolved(resolved),
      baseUrl: resolved.onDemandBaseUrl!.value,
      userId: resolved.userId!.value
    })
  )

/** @internal */
export const onDemandConfig: Effect.Effect<OnDemandOptions, ValidationError> = Effect.suspend(() => onDemandOptions({}))

/** @internal */
export const serverlessLayerConfig = <I>(tag: Context.Tag<I, InferenceClient>, options: Partial<ClientOptions>) =>
  Layer.unwrapEffect(Effect.map(serverlessOptions(options), (resolved) => serverlessLayer(tag, resolved)))

/** @internal */
export const onDemandLayerConfig = <I>(tag: Context.Tag<I, InferenceClient>, options: Partial<OnDemandOptions>) =>
  Layer.unwrapEffect(Effect.map(onDemandOptions(options), (resolved) => onDemandLayer(tag, resolved)))
