// Effect alone over undici (`NodeHttpClient.layerUndici`, as the SDK's Node transport; see effectApp.ts).
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import { program } from "./effectApp.js"

await Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(NodeHttpClient.layerUndici)))
