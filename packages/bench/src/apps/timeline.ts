// Where the cold start of ours goes: the app of `ours-deep.ts`, every module by its own path, step by step: each
// import on its own and timed, in the order a Node app pays them (the Effect modules the app names, the HttpClient
// of @effect/platform, the undici client of @effect/platform-node, our core modules, our Node layers), then building
// the layer and the first call.
import { API_KEY, baseUrl, report, request } from "./shared.js"

const marks: Record<string, number> = {}
let last = performance.now()
marks["node start-up"] = last
const step = (name: string) => {
  const now = performance.now()
  marks[name] = now - last
  last = now
}

const ManagedRuntime = await import("effect/ManagedRuntime")
const Redacted = await import("effect/Redacted")
await import("effect/Effect")
await import("effect/Stream")
step("effect (Effect, ManagedRuntime, Redacted, Stream)")
await import("@effect/platform/HttpClient")
step("@effect/platform (HttpClient)")
await import("@effect/platform-node/NodeHttpClient")
step("@effect/platform-node (undici client, undici)")
const { Serverless } = await import("@tensormesh-effect/core/Serverless")
await import("@tensormesh-effect/core/ChatStream")
step("@tensormesh-effect/core (Serverless, ChatStream)")
const NodeTensormesh = await import("@tensormesh-effect/node/NodeTensormesh")
step("@tensormesh-effect/node/NodeTensormesh")
const runtime = ManagedRuntime.make(NodeTensormesh.serverless({ baseUrl, apiKey: Redacted.make(API_KEY) }))
const tm = await runtime.runPromise(Serverless)
step("building the layer")
const completion = await runtime.runPromise(tm.chat.completions.create(request))
step("the first call")
report(completion.choices[0].message.content ?? "")
process.stdout.write(`${JSON.stringify({ marks })}\n`)
await runtime.dispose()
