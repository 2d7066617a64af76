/**
 * Runs the named examples (all when none is named) in one environment, each under a heading.
 */
import { Console, Effect } from "effect"
import type { Example } from "./Example.js"
import { Target } from "./Example.js"
import { examples } from "./examples.js"

export const select = (names: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<Example>, Error> => {
  const unknown = names.filter((name) => !examples.some((e) => e.name === name))
  return unknown.length === 0
    ? Effect.succeed(names.length === 0 ? examples : examples.filter((e) => names.includes(e.name)))
    : Effect.fail(
      new Error(`unknown example ${unknown.join(", ")}; examples: ${examples.map((e) => e.name).join(", ")}`)
    )
}

export const runExamples = (selected: ReadonlyArray<Example>) =>
  Effect.gen(function*() {
    const target = yield* Target
    for (const example of selected) {
      yield* Console.log(`\n== ${example.name}: ${example.title}`)
      if (example.onDemand === true && !target.onDemand) {
        yield* Console.log("skipped: the on-demand surface is not configured")
        continue
      }
      yield* example.program
    }
  })
