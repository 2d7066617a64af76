/**
 * `pnpm examples` runs every example; `pnpm example <name>` runs one.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { environment } from "./Environment.js"
import { runExamples, select } from "./runExamples.js"

const program = Effect.flatMap(select(process.argv.slice(2)), runExamples).pipe(Effect.provide(environment))

NodeRuntime.runMain(program)
