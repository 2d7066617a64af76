// A chat-only app on undici alone: the floor for cold start.
import { request as send } from "undici"
import { alsoStream, API_KEY, baseUrl, report, request } from "./shared.js"

const headers = { "content-type": "application/json", authorization: `Bearer ${API_KEY}` }
const response = await send(`${baseUrl}/chat/completions`, {
  method: "POST",
  headers,
  body: JSON.stringify(request)
})
const completion = JSON.parse(await response.body.text())
let streamed: string | undefined
if (alsoStream) {
  const stream = await send(`${baseUrl}/chat/completions`, {
    method: "POST",
    headers,
    body: JSON.stringify({ ...request, stream: true })
  })
  streamed = ""
  for (const line of (await stream.body.text()).split("\n")) {
    if (line.startsWith("data: {")) streamed += JSON.parse(line.slice(6)).choices[0]?.delta?.content ?? ""
  }
}
report(completion.choices[0].message.content, streamed)
