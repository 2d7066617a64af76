/**
 * Helpers over a Responses stream (`tm.responses.stream(request)`).
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { boundJson } from "./internal/errors.js"
import type { Response, ResponseStreamEvent } from "./Responses.js"
import { UpstreamError } from "./TensormeshError.js"

/**
 * The output text, delta by delta (`response.output_text.delta` events).
 *
 * @since 0.1.0
 * @category combinators
 */
export const textDeltas = <E, R>(self: Stream.Stream<ResponseStreamEvent, E, R>): Stream.Stream<string, E, R> =>
  Stream.mapChunks(self, (events) => {
    const texts: Array<string> = []
    for (const event of events) if (event.type === "response.output_text.delta") texts.push(event.delta)
    return Chunk.unsafeFromArray(texts)
  })

/**
 * The final response object, from the terminal event (`response.completed` or `response.incomplete`). A
 * `response.failed` event fails with `UpstreamError` (`StreamError`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const accumulate = <E, R>(
  self: Stream.Stream<ResponseStreamEvent, E, R>
): Effect.Effect<Response, E | UpstreamError, R> =>
  Effect.flatMap(
    Stream.runLast(Stream.filter(self, (event) =>
      event.type === "response.completed" || event.type === "response.incomplete" ||
      event.type === "response.failed")),
    Option.match({
      onNone: () =>
        Effect.fail(
          new UpstreamError({ reason: "StreamTruncated", retryable: true, detail: "no terminal response event" })
        ),
      onSome: (event) =>
        event.type === "response.failed"
          ? Effect.fail(
            new UpstreamError({
              reason: "StreamError",
              retryable: false,
              detail: "the response failed",
              body: "response" in event ? boundJson(event.response.error) : undefined
            })
          )
          : Effect.succeed((event as Extract<ResponseStreamEvent, { readonly response: Response }>).response)
    })
  )
