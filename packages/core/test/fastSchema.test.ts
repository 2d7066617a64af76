// The compiled fast path in front of Schema: whenever it accepts an input, Schema accepts it too and returns the
// same value; it accepts the usual payloads (so it is used), and rejects what Schema rejects. Checked on every
// schema of the SDK with generated values, and with those values broken in many small ways.
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck, Schema } from "effect"
import { ChatCompletion, Completion, Model, Responses, ServerInfo, Tokenize } from "../src/index.js"
import { compileDecoder, compileValidator } from "../src/internal/fastSchema.js"
import { requestParseOptions, responseParseOptions } from "../src/internal/schema.js"
import * as F from "./support/fixtures.js"

const responses: ReadonlyArray<[string, Schema.Schema.Any]> = [
  ["ChatCompletion", ChatCompletion.ChatCompletion],
  ["ChatCompletionChunk", ChatCompletion.ChatCompletionChunk],
  ["Completion", Completion.Completion],
  ["CompletionChunk", Completion.CompletionChunk],
  ["TokenizeResult", Tokenize.TokenizeResult],
  ["DetokenizeResult", Tokenize.DetokenizeResult],
  ["ModelList", Model.ModelList],
  ["Health", ServerInfo.Health],
  ["Version", ServerInfo.Version]
]

const requests: ReadonlyArray<[string, Schema.Schema.Any]> = [
  ["ChatCompletionCreateParams", ChatCompletion.ChatCompletionCreateParams],
  ["CompletionCreateParams", Completion.CompletionCreateParams],
  ["ResponseCreateParams", Responses.ResponseCreateParams],
  ["TokenizeParams", Tokenize.TokenizeParams],
  ["DetokenizeParams", Tokenize.DetokenizeParams]
]

/** A small deterministic generator, so a failure can be replayed. */
const prng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}

const oddValues: ReadonlyArray<unknown> = [null, undefined, "", "x", 0, -1, 1.5, 2 ** 60, NaN, true, [], {}, [1], {
  a: 1
}]

/** Copies `value` with one random change somewhere inside: a key dropped, added or given an odd value. */
const mutate = (value: unknown, random: () => number): unknown => {
  const pick = <A>(items: ReadonlyArray<A>) => items[Math.floor(random() * items.length)]
  const go = (v: unknown, depth: number): unknown => {
    if (Array.isArray(v)) {
      if (v.length > 0 && random() < 0.7) {
        const i = Math.floor(random() * v.length)
        const copy = [...v]
        copy[i] = go(v[i], depth + 1)
        return copy
      }
      return random() < 0.5 ? [...v, pick(oddValues)] : pick(oddValues)
    }
    if (typeof v === "object" && v !== null) {
      const keys = Object.keys(v)
      const copy: Record<string, unknown> = { ...v }
      const roll = random()
      if (keys.length > 0 && roll < 0.55) {
        const key = pick(keys)
        copy[key] = go(copy[key], depth + 1)
      } else if (keys.length > 0 && roll < 0.75) {
        delete copy[pick(keys)]
      } else {
        copy[pick(["extra", "type", "role", "index", "content", "tokens"])] = pick(oddValues)
      }
      return copy
    }
    return depth > 0 && random() < 0.3 ? v : pick(oddValues)
  }
  return go(value, 0)
}

const clone = (u: unknown) => u === undefined ? undefined : structuredClone(u)

/** Runs the fast path and Schema on copies of `input`; fails when the fast path accepts what Schema does not. */
const compare = (
  fast: (u: unknown) => boolean,
  slow: (u: unknown) => Either.Either<unknown, unknown>,
  input: unknown
) => {
  const expected = slow(clone(input))
  const copy = clone(input)
  const accepted = fast(copy)
  if (accepted) {
    assert.isTrue(Either.isRight(expected), `fast path accepted what Schema rejects: ${JSON.stringify(input)}`)
    assert.deepStrictEqual(copy, (expected as Either.Right<unknown, unknown>).right)
  }
  return { accepted, valid: Either.isRight(expected) }
}

const samples = (schema: Schema.Schema.Any, n: number, seed: number) =>
  FastCheck.sample(Arbitrary.make(schema as Schema.Schema<unknown, unknown>), { numRuns: n, seed })

/** Compares the fast path with Schema on each value and on five mutations of it; counts the valid and the taken. */
const agreement = (
  fast: Parameters<typeof compare>[0],
  slow: Parameters<typeof compare>[1],
  values: ReadonlyArray<unknown>,
  seed: number
) => {
  const random = prng(seed)
  let valid = 0
  let accepted = 0
  for (const value of values) {
    const r = compare(fast, slow, value)
    if (r.valid) valid++
    if (r.accepted) accepted++
    for (let i = 0; i < 5; i++) compare(fast, slow, mutate(value, random))
  }
  return { valid, accepted }
}

describe("fast schema path", () => {
  for (const [name, schema] of responses) {
    it(`decode ${name}: same result as Schema on generated and broken payloads`, () => {
      const fast = compileDecoder(schema, responseParseOptions)
      assert.isDefined(fast, "the schema compiles")
      const slow = Schema.decodeUnknownEither(schema as Schema.Schema<unknown, unknown>, responseParseOptions)
      const { accepted, valid } = agreement(fast!, slow, samples(Schema.encodedSchema(schema), 300, 42), 7)
      assert.isAbove(valid, 0)
      // the fast path is not merely safe but used: it takes the valid payloads
      assert.isAtLeast(accepted / valid, 0.9, `${accepted} of ${valid} valid payloads taken`)
    })
  }

  for (const [name, schema] of requests) {
    it(`validate ${name}: same result as Schema on generated and broken requests`, () => {
      const fast = compileValidator(schema, requestParseOptions)
      assert.isDefined(fast, "the schema compiles")
      const slow = Schema.validateEither(schema as Schema.Schema<unknown, unknown>, requestParseOptions)
      const { accepted, valid } = agreement(fast!, slow, samples(Schema.typeSchema(schema), 300, 43), 11)
      assert.isAbove(valid, 0)
      assert.isAtLeast(accepted / valid, 0.9, `${accepted} of ${valid} valid requests taken`)
    })
  }

  it("real payloads take the fast path; defaults are filled in as Schema does", () => {
    const decodeChunk = compileDecoder(ChatCompletion.ChatCompletionChunk, responseParseOptions)!
    const noChoices: Record<string, unknown> = { ...F.usageChunk, usage: { prompt_tokens: 9, total_tokens: 11 } }
    delete noChoices.choices
    assert.isTrue(decodeChunk(noChoices))
    assert.deepStrictEqual(noChoices.choices, [])
    assert.deepStrictEqual(noChoices.usage, { prompt_tokens: 9, total_tokens: 11, completion_tokens: 0 })
    const completion = F.chatCompletion("Paris.")
    assert.isTrue(compileDecoder(ChatCompletion.ChatCompletion, responseParseOptions)!(completion))
    const tokens = { count: 3, max_model_len: 100, tokens: [1, 2, 3], token_strs: null }
    assert.isTrue(compileDecoder(Tokenize.TokenizeResult, responseParseOptions)!(tokens))
  })

  it("a large token array: every element checked, a bad one anywhere is left to Schema", () => {
    const decode = compileDecoder(Tokenize.TokenizeResult, responseParseOptions)!
    const tokens = Array.from({ length: 200_000 }, (_, i) => i % 50_000)
    assert.isTrue(decode({ tokens }))
    for (const bad of [1.5, -0.5, "7", null, 2 ** 60]) {
      const copy = [...tokens]
      copy[123_456] = bad as number
      assert.isFalse(decode({ tokens: copy }))
      assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Tokenize.TokenizeResult)({ tokens: copy })))
    }
  })

  it("requests: excess keys, symbols and missing required fields are left to Schema", () => {
    const validate = compileValidator(ChatCompletion.ChatCompletionCreateParams, requestParseOptions)!
    const ok = { model: "m", messages: [{ role: "user", content: "hi" }] }
    assert.isTrue(validate(ok))
    assert.isFalse(validate({ ...ok, unknown_field: 1 }))
    assert.isFalse(validate({ ...ok, [Symbol.for("x")]: 1 }))
    assert.isFalse(validate({ model: "m" }))
    assert.isFalse(validate({ ...ok, messages: [] }))
    assert.isFalse(validate({ ...ok, temperature: 3 }))
    assert.isFalse(validate({ ...ok, response_format: { type: "json_schema" } }))
    assert.isTrue(validate({ ...ok, extraBody: { top_k: 5 } }))
  })

  it("pins which schemas take the fast path (and which are left to Schema, and why)", () => {
    const decodes = (schema: Schema.Schema.Any) => compileDecoder(schema, responseParseOptions) !== undefined
    for (const [name, schema] of responses) assert.isTrue(decodes(schema), name)
    for (const [name, schema] of requests) {
      assert.isTrue(compileValidator(schema, requestParseOptions) !== undefined, name)
    }
    // the Responses stream is decoded per event type: its delta and item events compile
    for (
      const schema of [
        Responses.ResponseOutputItemEvent,
        Responses.ResponsePartEvent,
        Responses.ResponseTextDeltaEvent,
        Responses.ResponseTextDoneEvent,
        Responses.ResponseFunctionCallArgumentsDoneEvent
      ]
    ) assert.isTrue(decodes(schema))
    // transformations are not modelled: a Response (usage normalised, output_text built) and the lifecycle events
    // that carry one go through Schema
    assert.isFalse(decodes(Responses.Response))
    assert.isFalse(decodes(Responses.ResponseLifecycleEvent))
  })
})
