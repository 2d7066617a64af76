import { OnDemand } from "@tensormesh-effect/core"
import { Console, Effect } from "effect"
import { type Example, Target } from "../Example.js"

export const onDemandChat: Example = {
  name: "on-demand-chat",
  title: "On-demand chat completions (the served gateway model name, X-User-Id sent for you)",
  onDemand: true,
  program: Effect.gen(function*() {
    const tm = yield* OnDemand
    const { onDemandModel } = yield* Target
    const completion = yield* tm.chat.completions.create({
      model: onDemandModel,
      messages: [{ role: "user", content: "Say hello." }]
    })
    yield* Console.log(`content: ${completion.choices[0].message.content}`)
  })
}
