import { assert, it } from "@effect/vitest"
import { placeholder } from "../src/index.js"
import { Effect } from "effect"

it.effect("smoke", () => Effect.sync(() => assert.strictEqual(placeholder, 1)))
