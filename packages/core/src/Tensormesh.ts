/**
 * `Tensormesh`: the surface an application uses, whichever it is. Code written against `Tensormesh` runs on
 * serverless or on-demand depending on the layer that provides it.
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import type { InferenceClient } from "./InferenceClient.js"
import { OnDemand } from "./OnDemand.js"
import { Serverless } from "./Serverless.js"

/**
 * The surface this application uses: the same `InferenceClient` shape as `Serverless` and `OnDemand`.
 *
 * @example
 * ```ts
 * import { Tensormesh, ServerlessLayer } from "@tensormesh-effect/core"
 * import { Layer } from "effect"
 *
 * // an app written against Tensormesh, run on serverless
 * const AppSurface = Tensormesh.serverless.pipe(Layer.provide(ServerlessLayer()))
 * ```
 *
 * @since 0.2.0
 * @category tags
 */
export class Tensormesh extends Context.Tag("@tensormesh-effect/core/Tensormesh")<Tensormesh, InferenceClient>() {
  /**
   * Provides `Tensormesh` from the `Serverless` service.
   *
   * @since 0.2.0
   */
  static readonly serverless: Layer.Layer<Tensormesh, never, Serverless> = Layer.effect(this, Serverless)
  /**
   * Provides `Tensormesh` from the `OnDemand` service.
   *
   * @since 0.2.0
   */
  static readonly onDemand: Layer.Layer<Tensormesh, never, OnDemand> = Layer.effect(this, OnDemand)
}
