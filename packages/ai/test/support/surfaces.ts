// The local server on both surfaces, with `Tensormesh` provided, and a wire recorder.
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type { ServeError } from "@effect/platform/HttpServerError"
import type { ClientOptions, ValidationError } from "@tensormesh-effect/core"
import { OnDemandLayer, ServerlessLayer, Tensormesh } from "@tensormesh-effect/core"
import * as LocalServer from "@tensormesh-effect/node/LocalServer"
import { Context, Effect, Layer, Redacted } from "effect"

export type Surface = "serverless" | "on-demand"

export const surfaces: ReadonlyArray<Surface> = ["serverless", "on-demand"]

export const KEY = "ak-test-secret-4f9d2c"
export const USER_ID = "7d3f1e2a-9b8c-4d5e-8f6a-1b2c3d4e5f60"

export interface Recorder {
  /** The JSON bodies sent, in order. */
  readonly bodies: Array<any>
}

/**
 * A client option that records every JSON request body: `HttpClient` middleware, so the client runs on a transport
 * built from undici's `HttpClient` (the local server's own layers use the Node transport, which takes none).
 */
export const recording = (recorder: Recorder): ClientOptions => ({
  transformClient: HttpClient.tapRequest((request) =>
    Effect.sync(() => {
      const body = request.body
      if (body._tag === "Uint8Array") recorder.bodies.push(JSON.parse(new TextDecoder().decode(body.body)))
    })
  )
})

/** A local server of the surface's mode and `Tensormesh` pointed at it, with a fixed key (and user id). */
export const surfaceLayer = (
  surface: Surface,
  client?: ClientOptions
): Layer.Layer<Tensormesh | LocalServer.LocalServer, ServeError | ValidationError> => {
  const options = { apiKeys: [KEY], userIds: [USER_ID], client: { maxRetries: 0, ...client } }
  if (client?.transformClient !== undefined) {
    return Layer.flatMap(
      LocalServer.layer({ apiKeys: [KEY], userIds: [USER_ID], mode: surface }),
      (context) => {
        const baseUrl = Context.get(context, LocalServer.LocalServer).baseUrl
        const apiKey = Redacted.make(KEY)
        const tm = surface === "serverless"
          ? Layer.provide(Tensormesh.serverless, ServerlessLayer({ ...options.client, apiKey, baseUrl }))
          : Layer.provide(Tensormesh.onDemand, OnDemandLayer({ ...options.client, apiKey, baseUrl, userId: USER_ID }))
        return Layer.merge(Layer.succeedContext(context), tm.pipe(Layer.provide(NodeHttpClient.layerUndici)))
      }
    )
  }
  return surface === "serverless"
    ? Layer.provideMerge(Tensormesh.serverless, LocalServer.serverlessLayer(options))
    : Layer.provideMerge(Tensormesh.onDemand, LocalServer.onDemandLayer(options))
}

/** The fault header for `callOptions.headers`. */
export const fault = (directives: string): Record<string, string> => ({ [LocalServer.FAULT_HEADER]: directives })

export const ECHO = "tensormesh/echo"
export const OSS = "openai/gpt-oss-20b"
export const THINK = "tensormesh/think-leak"
