// Effect alone over fetch (see effectApp.ts).
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Effect } from "effect"
import { program } from "./effectApp.js"

await Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(FetchHttpClient.layer)))
