// Wire payloads shaped as real vLLM / Tensormesh servers send them (wire.md §8).

export const chatCompletion = (content: string | null, extra: Record<string, unknown> = {}) => ({
  id: "chatcmpl-7f3a",
  object: "chat.completion",
  created: 1767225600,
  model: "openai/gpt-oss-120b",
  choices: [{
    index: 0,
    message: { role: "assistant", content, refusal: null, tool_calls: [], reasoning: null, ...extra },
    logprobs: null,
    finish_reason: "stop",
    stop_reason: null,
    token_ids: null
  }],
  prompt_token_ids: null,
  kv_transfer_params: { cached_token_stats: { num_vllm_cached_tokens: 0, num_lmcache_cached_tokens: 64 } },
  usage: {
    prompt_tokens: 80,
    completion_tokens: 12,
    total_tokens: 92,
    prompt_tokens_details: { cached_tokens: 64, created_cache_tokens: 16 }
  }
})

export const chunk = (delta: Record<string, unknown>, finish: string | null = null, index = 0) => ({
  id: "chatcmpl-9b1",
  object: "chat.completion.chunk",
  created: 1767225600,
  model: "Qwen/Qwen3-30B-A3B",
  choices: [{ index, delta, logprobs: null, finish_reason: finish }]
})

export const usageChunk = {
  id: "chatcmpl-9b1",
  object: "chat.completion.chunk",
  created: 1767225600,
  model: "Qwen/Qwen3-30B-A3B",
  choices: [],
  usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 }
}

export const textCompletion = (text: string) => ({
  id: "cmpl-1",
  object: "text_completion",
  created: 1767225600,
  model: "m",
  choices: [{
    index: 0,
    text,
    logprobs: null,
    finish_reason: "length",
    stop_reason: null,
    token_ids: null,
    prompt_logprobs: null,
    prompt_token_ids: null
  }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  system_fingerprint: null,
  kv_transfer_params: null
})

export const response = (text: string, usage: Record<string, unknown>) => ({
  id: "resp_4c2",
  object: "response",
  created_at: 1767225600.5,
  status: "completed",
  model: "m",
  output: [
    {
      type: "reasoning",
      id: "rs_1",
      summary: [],
      content: [{ type: "reasoning_text", text: "thinking" }],
      encrypted_content: null,
      status: null
    },
    {
      type: "message",
      id: "msg_77a",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text, annotations: [] }]
    }
  ],
  usage,
  incomplete_details: null,
  error: null,
  instructions: null
})

export const models = {
  object: "list",
  data: [{
    id: "openai/gpt-oss-120b",
    object: "model",
    created: 1767225600,
    owned_by: "vllm",
    root: "openai/gpt-oss-120b",
    parent: null,
    max_model_len: 131072,
    permission: []
  }]
}

export const USER_ID = "1f0c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
export const KEY = "ak-test-SECRET-9f8e7d"
