/**
 * The vLLM-shaped payloads the mock server answers with, built once as bytes, and what a driver must have received
 * from each (so a driver that drops data fails the run).
 */

export const MODEL = "openai/gpt-oss-20b"
const CREATED = 1767225600

/** The token words of the streams and of the completion: never a `<`, so no think tag can be seen in them. */
const WORDS = [
  " The",
  " quick",
  " brown",
  " fox",
  " jumps",
  " over",
  " the",
  " lazy",
  " dog",
  ",",
  " and",
  " then",
  " it",
  " rests",
  " near",
  " a",
  " river",
  " bank",
  ".",
  "\n"
]

const word = (i: number) => WORDS[i % WORDS.length] + (i % 7 === 3 ? "ing" : "")

/** Tokens of the non-streaming completion. */
export const COMPLETION_TOKENS = 120

const completionText = Array.from({ length: COMPLETION_TOKENS }, (_, i) => word(i)).join("")

/** What a chat completion's `choices[0].message.content` must be. */
export const expectedCompletion = { content: completionText } as const

/** A non-streaming chat completion as vLLM serialises it (every optional key present, most as null). */
export const completionBody = (): Buffer =>
  Buffer.from(JSON.stringify({
    id: "chatcmpl-8c5e0b6a2f4d4f0e9d1c7b3a5e2f1d0c",
    object: "chat.completion",
    created: CREATED,
    model: MODEL,
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: completionText,
        refusal: null,
        annotations: null,
        audio: null,
        function_call: null,
        tool_calls: [],
        reasoning_content: null
      },
      logprobs: null,
      finish_reason: "stop",
      stop_reason: null
    }],
    service_tier: null,
    system_fingerprint: null,
    usage: { prompt_tokens: 14, total_tokens: 14 + COMPLETION_TOKENS, completion_tokens: COMPLETION_TOKENS },
    prompt_logprobs: null,
    prompt_token_ids: null,
    kv_transfer_params: null
  }))

/** One `chat.completion.chunk` event: the envelope, then `fields`. */
const chunkData = (fields: Record<string, unknown>) =>
  `data: ${
    JSON.stringify({
      id: "chatcmpl-4b1d9e7f0a2c4e6b8d3f5a7c9e1b2d4f",
      object: "chat.completion.chunk",
      created: CREATED,
      model: MODEL,
      ...fields
    })
  }\n\n`

const chunkEvent = (delta: Record<string, unknown>, finish: string | null) =>
  chunkData({ choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })

/** What a stream of `n` content chunks must yield: `n` non-empty content deltas, `chars` characters in all. */
export interface StreamExpectation {
  readonly chunks: number
  readonly chars: number
}

export const expectedStream = (n: number): StreamExpectation => {
  let chars = 0
  for (let i = 0; i < n; i++) chars += word(i).length
  return { chunks: n, chars }
}

/**
 * A chat stream as vLLM writes it with `stream_options.include_usage`, in three parts: `head`, a role chunk with empty
 * content; `content`, `n` content chunks; `tail`, a finish chunk, a usage-only chunk and `data: [DONE]`.
 */
export interface StreamPieces {
  readonly head: Buffer
  readonly content: ReadonlyArray<Buffer>
  readonly tail: Buffer
}

export const streamPieces = (n: number): StreamPieces => ({
  head: Buffer.from(chunkEvent({ role: "assistant", content: "" }, null)),
  content: Array.from({ length: n }, (_, i) => Buffer.from(chunkEvent({ content: word(i) }, null))),
  tail: Buffer.from(
    chunkEvent({}, "stop") +
      chunkData({ choices: [], usage: { prompt_tokens: 14, total_tokens: 14 + n, completion_tokens: n } }) +
      "data: [DONE]\n\n"
  )
})

/** The whole stream of `n` content chunks, as one buffer (written in slices by the server). */
export const streamBody = (n: number): Buffer => {
  const { content, head, tail } = streamPieces(n)
  return Buffer.concat([head, ...content, tail])
}

/** The text of a stream of `max_tokens: 16` (what the apps stream). */
export const expectedStreamText = Array.from({ length: 16 }, (_, i) => word(i)).join("")

/** Tokens in a tokenize answer. */
export const TOKENIZE_TOKENS = 200_000

/** The tokens of the tokenize answer (a fixed pseudo-random sequence below a 200k vocabulary) and their sum. */
const tokenizeTokens = () => {
  const tokens: Array<number> = new Array(TOKENIZE_TOKENS)
  let x = 12345
  let sum = 0
  for (let i = 0; i < TOKENIZE_TOKENS; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    tokens[i] = x % 200_000
    sum += tokens[i]
  }
  return { tokens, sum }
}

/** What a tokenize call must return: this many tokens with this sum. */
export const expectedTokenize = (): { readonly count: number; readonly sum: number } => ({
  count: TOKENIZE_TOKENS,
  sum: tokenizeTokens().sum
})

export const tokenizeBody = (): Buffer =>
  Buffer.from(JSON.stringify({
    count: TOKENIZE_TOKENS,
    max_model_len: 131072,
    tokens: tokenizeTokens().tokens,
    token_strs: null
  }))

/** The request every chat call sends (`max_tokens` tells the mock server how many chunks to stream). */
export const chatRequest = (maxTokens: number) => ({
  model: MODEL,
  messages: [
    { role: "system" as const, content: "You are a concise assistant." },
    { role: "user" as const, content: "Describe a fox in one paragraph." }
  ],
  max_tokens: maxTokens,
  temperature: 0.7
})

export const tokenizeRequest = {
  model: MODEL,
  prompt: "A long document to count the tokens of."
} as const

export const sumTokens = (tokens: ReadonlyArray<number>): number => {
  let sum = 0
  for (let i = 0; i < tokens.length; i++) sum += tokens[i]
  return sum
}
