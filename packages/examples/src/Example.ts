/**
 * What every example is: a named Effect program over the two surfaces.
 */
import type * as AiError from "@effect/ai/AiError"
import type * as HttpClient from "@effect/platform/HttpClient"
import type { OnDemand, Serverless, TensormeshError } from "@tensormesh-effect/core"
import { Context, type Effect } from "effect"

/** What the examples run against: the local server or the real service. */
export class Target extends Context.Tag("examples/Target")<Target, {
  readonly kind: "local" | "remote"
  /** The serverless base URL, for the examples that build their own keyless layer. */
  readonly serverlessBaseUrl: string | undefined
  /** A general chat model on the serverless surface. */
  readonly model: string
  /** The served gateway model name on the on-demand surface. */
  readonly onDemandModel: string
  /** Locally, a model that leaks `<think>` blocks into content; on the real service, `model`. */
  readonly thinkingModel: string
  /** Whether on-demand settings exist (always locally). */
  readonly onDemand: boolean
}>() {}

export type Requirements = Serverless | OnDemand | Target | HttpClient.HttpClient

export interface Example {
  readonly name: string
  readonly title: string
  /** Runs only when the on-demand surface is configured. */
  readonly onDemand?: boolean
  /** Fails with the SDK's errors, or `@effect/ai`'s for the programs written against `@effect/ai`. */
  readonly program: Effect.Effect<void, TensormeshError | AiError.AiError, Requirements>
}
