import { Chat, LanguageModel, Tool, Toolkit } from "@effect/ai"
import { TensormeshLanguageModel } from "@tensormesh-effect/ai"
import { Tensormesh } from "@tensormesh-effect/core"
import { Console, Effect, Schema, Stream } from "effect"
import { type Example, Target } from "../Example.js"

class Person extends Schema.Class<Person>("Person")({
  name: Schema.String.annotations({ description: "The person's full name" }),
  age: Schema.Number.annotations({ description: "Age in years" })
}) {}

const GetWeather = Tool.make("GetWeather", {
  description: "The current weather in a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, forecast: Schema.String, celsius: Schema.Number })
})

const WeatherTools = Toolkit.make(GetWeather)

const WeatherHandlers = WeatherTools.toLayer({
  GetWeather: ({ city }) => Effect.succeed({ city, forecast: "sunny", celsius: 31 })
})

/** The same @effect/ai program runs on any provider; here Tensormesh provides the `LanguageModel`. */
const program = Effect.gen(function*() {
  const text = yield* LanguageModel.generateText({ prompt: "Say hello." })
  yield* Console.log(`generateText: ${text.text}`)
  yield* Console.log(`usage: ${text.usage.inputTokens} input + ${text.usage.outputTokens} output tokens`)

  const streamed = yield* LanguageModel.streamText({ prompt: "Stream a short reply." }).pipe(
    Stream.runFold({ text: "", finish: "" }, (acc, part) =>
      part.type === "text-delta"
        ? { ...acc, text: acc.text + part.delta }
        : part.type === "finish"
        ? {
          ...acc,
          finish: `${part.reason}, ${part.usage.inputTokens} input + ${part.usage.outputTokens} output tokens`
        }
        : acc)
  )
  yield* Console.log(`streamText: ${streamed.text} (finish: ${streamed.finish})`)

  const person = yield* LanguageModel.generateObject({
    prompt: "Extract the person: Ada Lovelace, aged 36.",
    schema: Person
  })
  yield* Console.log(`generateObject: Person { name: ${JSON.stringify(person.value.name)}, age: ${person.value.age} }`)

  const chat = yield* Chat.empty
  const asked = yield* chat.generateText({ prompt: "What is the weather in Hanoi?", toolkit: WeatherTools })
  for (const call of asked.toolCalls) yield* Console.log(`tool call: ${call.name}(${JSON.stringify(call.params)})`)
  for (const result of asked.toolResults) yield* Console.log(`tool result: ${JSON.stringify(result.result)}`)
  // the history now holds the call and its result: the model answers from them
  const answered = yield* chat.generateText({ prompt: [], toolkit: WeatherTools })
  yield* Console.log(`answer: ${answered.text}`)
})

export const effectAi: Example = {
  name: "effect-ai",
  title: "@effect/ai provider: generateText, streamText, generateObject, a Toolkit round trip in Chat",
  program: Effect.gen(function*() {
    const { model } = yield* Target
    yield* program.pipe(
      Effect.provide(WeatherHandlers),
      Effect.provide(TensormeshLanguageModel.model(model)),
      Effect.provide(Tensormesh.serverless)
    )
  })
}
