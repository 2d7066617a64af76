// NodeTensormesh.tensormesh: the surface chosen by configuration, and the default model (option > TENSORMESH_MODEL),
// over a local server.
import { assert, describe, layer } from "@effect/vitest"
import { Tensormesh, type ValidationError } from "@tensormesh-effect/core"
import { ConfigProvider, Effect, Layer } from "effect"
import * as LocalServer from "../src/LocalServer.js"
import * as NodeTensormesh from "../src/NodeTensormesh.js"

const USER_ID = "1f0c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"

const env = (server: LocalServer.Service, extra: Record<string, string>) =>
  ConfigProvider.fromMap(
    new Map(Object.entries({
      TENSORMESH_INFERENCE_API_KEY: "test-key",
      TENSORMESH_SERVERLESS_BASE_URL: server.baseUrl,
      TENSORMESH_ON_DEMAND_BASE_URL: server.baseUrl,
      TENSORMESH_ON_DEMAND_USER_ID: USER_ID,
      ...extra
    }))
  )

const withClient = <A, E>(
  server: LocalServer.Service,
  vars: Record<string, string>,
  f: (tm: Tensormesh["Type"]) => Effect.Effect<A, E>,
  options?: NodeTensormesh.TensormeshOptions
) =>
  Effect.scoped(
    Effect.flatMap(Layer.build(NodeTensormesh.tensormesh(options)), (context) =>
      Effect.flatMap(Effect.provide(Tensormesh, context), f))
  ).pipe(Effect.withConfigProvider(env(server, vars)))

const lastModel = (server: LocalServer.Service) =>
  Effect.map(server.requests, (requests) => (requests.at(-1)?.body as { model?: string } | undefined)?.model)

const messages = [{ role: "user" as const, content: "hi" }]

layer(LocalServer.layer(), { excludeTestServices: true })("NodeTensormesh.tensormesh", (it) => {
  describe("the surface from configuration", () => {
    it.effect("serverless by default, on-demand from TENSORMESH_SURFACE or the option; invalid names `surface`", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        assert.strictEqual(yield* withClient(server, {}, (tm) => Effect.succeed(tm.surface)), "serverless")
        assert.strictEqual(
          yield* withClient(server, { TENSORMESH_SURFACE: "on-demand" }, (tm) => Effect.succeed(tm.surface)),
          "on-demand"
        )
        // the option wins over the variable
        assert.strictEqual(
          yield* withClient(server, { TENSORMESH_SURFACE: "on-demand" }, (tm) => Effect.succeed(tm.surface), {
            surface: "serverless"
          }),
          "serverless"
        )
        const invalid = yield* Effect.flip(withClient(server, { TENSORMESH_SURFACE: "cloud" }, () => Effect.void))
        assert.strictEqual(invalid._tag, "ValidationError")
        assert.deepStrictEqual((invalid as ValidationError).issues.map((i) => i.path), [["surface"]])
        assert.include(invalid.message, "TENSORMESH_SURFACE")
      }))
  })

  describe("the default model", () => {
    it.effect("TENSORMESH_MODEL fills a request without model; the request's own wins; the option wins over env", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        const answer = yield* withClient(
          server,
          { TENSORMESH_MODEL: "tensormesh/echo" },
          (tm) => tm.chat.completions.create({ messages })
        )
        assert.strictEqual(answer.choices[0].message.content, "You said: hi")
        assert.strictEqual(yield* lastModel(server), "tensormesh/echo")
        yield* withClient(
          server,
          { TENSORMESH_MODEL: "tensormesh/echo" },
          (tm) => tm.completions.create({ model: "tensormesh/think-leak", prompt: "p" })
        )
        assert.strictEqual(yield* lastModel(server), "tensormesh/think-leak")
        yield* withClient(
          server,
          { TENSORMESH_MODEL: "tensormesh/nope", TENSORMESH_SURFACE: "on-demand" },
          (tm) => tm.responses.create({ input: "x" }),
          { model: "tensormesh/echo" }
        )
        assert.strictEqual(yield* lastModel(server), "tensormesh/echo")
        const described = yield* NodeTensormesh.describeConfig({ model: "tensormesh/echo" }).pipe(
          Effect.withConfigProvider(env(server, {}))
        )
        assert.strictEqual(described.model.value, "tensormesh/echo")
        assert.strictEqual(described.model.source, "option")
      }))

    it.effect("no model and no default: ValidationError naming model, nothing sent", () =>
      Effect.gen(function*() {
        const server = yield* LocalServer.LocalServer
        yield* server.clearRequests
        const error = yield* Effect.flip(withClient(server, {}, (tm) => tm.chat.completions.create({ messages })))
        assert.strictEqual(error._tag, "ValidationError")
        assert.deepStrictEqual((error as ValidationError).issues.map((i) => i.path), [["model"]])
        const streamed = yield* Effect.flip(
          withClient(server, {}, (tm) => Effect.scoped(tm.chat.completions.openStream({ messages })))
        )
        assert.strictEqual(streamed._tag, "ValidationError")
        assert.strictEqual((yield* server.requests).filter((r) => r.path.startsWith("/v1/")).length, 0)
      }))
  })
})
