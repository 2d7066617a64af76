/**
 * What every chat-only app shares: the request, and the line it prints for the parent (the content received and the
 * time since the process started, which covers module loading, building the client and the call).
 */

export const baseUrl = process.argv[2] ?? "http://127.0.0.1:8000/v1"

/** `stream` as the second argument also runs one short stream after the call (the bundle has both paths). */
export const alsoStream = process.argv[3] === "stream"

export const API_KEY = "tm-bench-key-0000"

export const request = {
  model: "openai/gpt-oss-20b",
  messages: [
    { role: "system" as const, content: "You are a concise assistant." },
    { role: "user" as const, content: "Describe a fox in one paragraph." }
  ],
  max_tokens: 16,
  temperature: 0.7
}

export const report = (content: string, streamed?: string): void => {
  const ms = performance.now()
  process.stdout.write(`${JSON.stringify({ ms, rssMb: process.memoryUsage.rss() / 2 ** 20, content, streamed })}\n`)
}
