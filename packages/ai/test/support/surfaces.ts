// The local server on both surfaces, with `Tensormesh` provided, and a wire recorder.
import * as HttpClient from "@effect/platform/HttpClient"
import type { ServeError } from "@effect/platform/HttpServerError"
import type { ClientOptions, ValidationError } from "@tensormesh-effect/core"
import { Tensormesh } from "@tensormesh-effect/core"
import * as LocalServer from "@tensormesh-effect/node/LocalServer"
import { Effect, Layer } from "effect"

export type Surface = "serverless" | "on-demand"

export const surfaces: ReadonlyArray<Surface> = ["serverless", "on-demand"]

export const KEY = "ak-test-secret-4f9d2c"
export const USER_ID = "7d3f1e2a-9b8c-4d5e-8f6a-1b2c3d4e5f60"

export interface Recorder {
  /** The JSON bodies sent, in order. */
  readonly bodies: Array<any>
}

/** A client option that records every JSON request body (this takes the generic `HttpClient` path). */
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
  return surface === "serverless"
    ? Layer.provideMerge(Tensormesh.serverless, LocalServer.serverlessLayer(options))
    : Layer.provideMerge(Tensormesh.onDemand, LocalServer.onDemandLayer(options))
}

/** The fault header for `callOptions.headers`. */
export const fault = (directives: string): Record<string, string> => ({ [LocalServer.FAULT_HEADER]: directives })

export const ECHO = "tensormesh/echo"
export const OSS = "openai/gpt-oss-20b"
export const THINK = "tensormesh/think-leak"
