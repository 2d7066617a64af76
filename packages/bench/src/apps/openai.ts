// A chat-only app on the official openai client.
import OpenAI from "openai"
import { alsoStream, API_KEY, baseUrl, report, request } from "./shared.js"

const client = new OpenAI({ baseURL: baseUrl, apiKey: API_KEY, maxRetries: 0 })
const completion = await client.chat.completions.create(request)
let streamed: string | undefined
if (alsoStream) {
  streamed = ""
  for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
    streamed += chunk.choices[0]?.delta?.content ?? ""
  }
}
report(completion.choices[0].message.content ?? "", streamed)
