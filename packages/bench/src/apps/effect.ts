// Effect alone over fetch (see effectApp.ts).
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import { program } from "./effectApp.js"

await Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(FetchHttpClient.layer)))
