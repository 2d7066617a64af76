// Effect alone over undici (`NodeHttpClient.layerUndici`, as the SDK's Node transport; see effectApp.ts).
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect } from "effect"
import { program } from "./effectApp.js"

await Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(NodeHttpClient.layerUndici)))
