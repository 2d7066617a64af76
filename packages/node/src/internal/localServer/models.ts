/**
 * The model catalogue of the local server.
 *
 * @internal
 */

/**
 * Where a model puts its reasoning: nowhere, the `reasoning` field, the `reasoning_content` field, or a
 * `<think>…</think>` block leaked into `content`.
 *
 * @internal
 */
export type ReasoningStyle = "none" | "reasoning" | "reasoning_content" | "think-leak"

/** @internal */
export interface ModelCard {
  readonly id: string
  readonly maxModelLen: number
  readonly reasoning: ReasoningStyle
}

/** @internal */
export const models: ReadonlyArray<ModelCard> = [
  { id: "tensormesh/echo", maxModelLen: 4096, reasoning: "none" },
  { id: "openai/gpt-oss-20b", maxModelLen: 131072, reasoning: "reasoning" },
  { id: "tensormesh/reasoning-content", maxModelLen: 131072, reasoning: "reasoning_content" },
  { id: "tensormesh/think-leak", maxModelLen: 131072, reasoning: "think-leak" }
]

/** @internal */
export const findModel = (id: string): ModelCard | undefined => models.find((model) => model.id === id)

/**
 * The body of `GET /v1/models`.
 *
 * @internal
 */
export const modelList = (created: number) => ({
  object: "list",
  data: models.map((model) => ({
    id: model.id,
    object: "model",
    created,
    owned_by: "vllm",
    root: model.id,
    parent: null,
    max_model_len: model.maxModelLen,
    permission: []
  }))
})
