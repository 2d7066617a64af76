// Where each setting of the Node layers comes from: options, then the environment (Effect Config), then the tm CLI
// config file (opt-in), then defaults; and what `describeConfig` / `format` show.
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Option, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as NodeTensormesh from "../src/NodeTensormesh.js"
import * as TmConfig from "../src/TmConfig.js"

const KEY = "ak-test-SECRET-42"
const USER_ID = "1f0c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5"
const OTHER_USER_ID = "2b2b2b2b-3c3c-4d4d-8e8e-9f9f9f9f9f9f"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

/** A temporary directory, removed with the scope. */
const tempDir = Effect.acquireRelease(
  Effect.sync(() => NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "tensormesh-config-"))),
  (dir) => Effect.sync(() => NodeFs.rmSync(dir, { recursive: true, force: true }))
)

const writeFile = (dir: string, name: string, text: string): string => {
  const path = NodePath.join(dir, name)
  NodeFs.mkdirSync(NodePath.dirname(path), { recursive: true })
  NodeFs.writeFileSync(path, text)
  return path
}

const ALL_ENV = {
  TENSORMESH_INFERENCE_API_KEY: KEY,
  TENSORMESH_SERVERLESS_BASE_URL: "https://env-serverless.example/v1",
  TENSORMESH_ON_DEMAND_BASE_URL: "https://env-on-demand.example/v1",
  TENSORMESH_ON_DEMAND_USER_ID: USER_ID,
  TENSORMESH_TIMEOUT_SECONDS: "42",
  TENSORMESH_MAX_RETRIES: "5",
  TENSORMESH_CA_BUNDLE: "/etc/ssl/corp.pem"
}

const FULL_TM = `
timeout_seconds = 60
max_retries = 7
ca_bundle = "/top/ca.pem"

[managed]
synced_at = "2026-05-01T12:00:00Z"
gateway_api_key = "${KEY}"
gateway_user_id = "${USER_ID}"
gateway_provider = "nebius"
gateway_model_id = "openai-gpt-oss-120b-gpu-type-h200x1_8nic16"
max_retries = 3

[overrides]
gateway_model_id = "my-other-served-name"
`

describe("configuration precedence", () => {
  it.effect("defaults when nothing is set", () =>
    Effect.gen(function*() {
      const d = yield* NodeTensormesh.describeConfig().pipe(withEnv({}))
      assert.deepStrictEqual(d.serverlessBaseUrl, {
        value: "https://serverless.tensormesh.ai/v1",
        source: "default",
        key: undefined
      })
      assert.deepStrictEqual(d.timeout, { value: "600 s", source: "default", key: undefined })
      assert.deepStrictEqual(d.maxRetries, { value: "2", source: "default", key: undefined })
      assert.deepStrictEqual(d.idleTimeout, { value: "300 s", source: "default", key: undefined })
      for (const unset of [d.apiKey, d.onDemandBaseUrl, d.userId, d.model, d.caBundle]) {
        assert.deepStrictEqual(unset, { value: undefined, source: undefined, key: undefined })
      }
      assert.deepStrictEqual(d.tmConfig, { status: "not read", path: undefined })
    }))

  it.effect("the environment over the defaults", () =>
    Effect.gen(function*() {
      const d = yield* NodeTensormesh.describeConfig().pipe(withEnv(ALL_ENV))
      assert.deepStrictEqual(d.apiKey, {
        value: "<redacted>",
        source: "env:TENSORMESH_INFERENCE_API_KEY",
        key: undefined
      })
      assert.strictEqual(d.serverlessBaseUrl.value, "https://env-serverless.example/v1")
      assert.strictEqual(d.serverlessBaseUrl.source, "env:TENSORMESH_SERVERLESS_BASE_URL")
      assert.strictEqual(d.onDemandBaseUrl.value, "https://env-on-demand.example/v1")
      assert.strictEqual(d.onDemandBaseUrl.source, "env:TENSORMESH_ON_DEMAND_BASE_URL")
      assert.strictEqual(d.userId.value, "…d4e5")
      assert.strictEqual(d.userId.source, "env:TENSORMESH_ON_DEMAND_USER_ID")
      assert.deepStrictEqual([d.timeout.value, d.timeout.source], ["42 s", "env:TENSORMESH_TIMEOUT_SECONDS"])
      assert.deepStrictEqual([d.maxRetries.value, d.maxRetries.source], ["5", "env:TENSORMESH_MAX_RETRIES"])
      assert.deepStrictEqual([d.caBundle.value, d.caBundle.source], ["/etc/ssl/corp.pem", "env:TENSORMESH_CA_BUNDLE"])
    }))

  it.effect("explicit options over the environment", () =>
    Effect.gen(function*() {
      const d = yield* NodeTensormesh.describeConfig({
        apiKey: Redacted.make("ak-option"),
        serverlessBaseUrl: "https://option-serverless.example/v1",
        onDemandBaseUrl: "https://option-on-demand.example/v1",
        userId: OTHER_USER_ID,
        timeout: Duration.seconds(3),
        maxRetries: 0,
        idleTimeout: "2 seconds",
        caBundle: "/option/ca.pem"
      }).pipe(withEnv(ALL_ENV))
      for (
        const entry of [
          d.apiKey,
          d.serverlessBaseUrl,
          d.onDemandBaseUrl,
          d.userId,
          d.timeout,
          d.maxRetries,
          d.idleTimeout,
          d.caBundle
        ]
      ) {
        assert.strictEqual(entry.source, "option")
      }
      assert.strictEqual(d.serverlessBaseUrl.value, "https://option-serverless.example/v1")
      assert.strictEqual(d.userId.value, "…9f9f")
      assert.strictEqual(d.timeout.value, "3 s")
      assert.strictEqual(d.maxRetries.value, "0")
      assert.strictEqual(d.idleTimeout.value, "2 s")
    }))

  it.effect("TENSORMESH_USER_ID is a fallback for TENSORMESH_ON_DEMAND_USER_ID", () =>
    Effect.gen(function*() {
      const fallback = yield* NodeTensormesh.describeConfig().pipe(withEnv({ TENSORMESH_USER_ID: OTHER_USER_ID }))
      assert.strictEqual(fallback.userId.source, "env:TENSORMESH_USER_ID")
      const both = yield* NodeTensormesh.describeConfig().pipe(
        withEnv({ TENSORMESH_USER_ID: OTHER_USER_ID, TENSORMESH_ON_DEMAND_USER_ID: USER_ID })
      )
      assert.strictEqual(both.userId.source, "env:TENSORMESH_ON_DEMAND_USER_ID")
      assert.strictEqual(both.userId.value, "…d4e5")
    }))

  it.effect("empty variables count as unset", () =>
    Effect.gen(function*() {
      const d = yield* NodeTensormesh.describeConfig().pipe(
        withEnv({ TENSORMESH_INFERENCE_API_KEY: "", TENSORMESH_SERVERLESS_BASE_URL: "  " })
      )
      assert.strictEqual(d.apiKey.value, undefined)
      assert.strictEqual(d.serverlessBaseUrl.source, "default")
    }))

  it.scoped("the tm file is read only on request, below the environment and above the defaults", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const path = writeFile(dir, "config.toml", FULL_TM)
      const env = { TM_CONFIG_HOME: dir, TENSORMESH_MAX_RETRIES: "9" }

      const off = yield* NodeTensormesh.describeConfig().pipe(withEnv(env))
      assert.deepStrictEqual(off.tmConfig, { status: "not read", path: undefined })
      assert.strictEqual(off.apiKey.value, undefined)

      const d = yield* NodeTensormesh.describeConfig({ readTmConfig: true }).pipe(withEnv(env))
      assert.deepStrictEqual(d.tmConfig, { status: "loaded", path })
      assert.deepStrictEqual(d.apiKey, { value: "<redacted>", source: `tm:${path}[managed]`, key: "gateway_api_key" })
      assert.deepStrictEqual(d.userId, { value: "…d4e5", source: `tm:${path}[managed]`, key: "gateway_user_id" })
      assert.deepStrictEqual(d.onDemandBaseUrl, {
        value: "https://external.nebius.tensormesh.ai/v1",
        source: `tm:${path}[managed]`,
        key: "gateway_provider"
      })
      assert.deepStrictEqual(d.model, {
        value: "my-other-served-name",
        source: `tm:${path}[overrides]`,
        key: "gateway_model_id"
      })
      assert.deepStrictEqual(d.timeout, { value: "60 s", source: `tm:${path}`, key: "timeout_seconds" })
      assert.deepStrictEqual(d.caBundle, { value: "/top/ca.pem", source: `tm:${path}`, key: "ca_bundle" })
      // the environment wins over every section of the file
      assert.deepStrictEqual(d.maxRetries, { value: "9", source: "env:TENSORMESH_MAX_RETRIES", key: undefined })
      // the serverless base URL is not a tm setting
      assert.strictEqual(d.serverlessBaseUrl.source, "default")

      const withOption = yield* NodeTensormesh.describeConfig({ readTmConfig: true, timeout: "5 seconds" }).pipe(
        withEnv(env)
      )
      assert.strictEqual(withOption.timeout.source, "option")
    }))

  it.effect("[overrides] over [managed] over top-level keys", () =>
    Effect.gen(function*() {
      const config = yield* TmConfig.parse(
        `
max_retries = 1
timeout_seconds = 10
gateway_model_id = "top"

[managed]
max_retries = 2
gateway_model_id = "managed"

[overrides]
gateway_model_id = "overrides"
`,
        "/x/config.toml"
      )
      assert.deepStrictEqual(config.model, {
        value: "overrides",
        section: "overrides",
        key: "gateway_model_id",
        source: "tm:/x/config.toml[overrides]"
      })
      assert.deepStrictEqual(config.maxRetries, {
        value: 2,
        section: "managed",
        key: "max_retries",
        source: "tm:/x/config.toml[managed]"
      })
      assert.deepStrictEqual(config.timeoutSeconds, {
        value: 10,
        section: "top-level",
        key: "timeout_seconds",
        source: "tm:/x/config.toml"
      })
      assert.strictEqual(config.apiKey, undefined)
    }))

  it.effect("tolerated keys: user_id, on_demand_base_url; gateway_provider gives the host", () =>
    Effect.gen(function*() {
      const tolerated = yield* TmConfig.parse(
        `[managed]\nuser_id = "${USER_ID}"\non_demand_base_url = "https://gw.example/v1"\ngateway_provider = "lambda"\n`,
        "/x/config.toml"
      )
      assert.strictEqual(tolerated.userId?.key, "user_id")
      assert.strictEqual(Redacted.value(tolerated.userId!.value), USER_ID)
      assert.strictEqual(tolerated.onDemandBaseUrl?.value, "https://gw.example/v1")
      assert.strictEqual(tolerated.onDemandBaseUrl?.key, "on_demand_base_url")
      assert.strictEqual(tolerated.provider?.value, "lambda")

      const preferred = yield* TmConfig.parse(
        `[managed]\nuser_id = "${OTHER_USER_ID}"\ngateway_user_id = "${USER_ID}"\n`,
        "/x/config.toml"
      )
      assert.strictEqual(preferred.userId?.key, "gateway_user_id")

      const derived = yield* TmConfig.parse(`[managed]\ngateway_provider = "Yotta"\n`, "/x/config.toml")
      assert.strictEqual(derived.onDemandBaseUrl?.value, "https://external.yotta.tensormesh.ai/v1")
      assert.strictEqual(derived.onDemandBaseUrl?.key, "gateway_provider")

      // an override of the provider wins over a base URL the sync wrote
      const overridden = yield* TmConfig.parse(
        `[managed]\ngateway_base_url = "https://external.nebius.tensormesh.ai/v1"\n[overrides]\ngateway_provider = "lambda"\n`,
        "/x/config.toml"
      )
      assert.strictEqual(overridden.onDemandBaseUrl?.value, "https://external.lambda.tensormesh.ai/v1")
      assert.strictEqual(overridden.onDemandBaseUrl?.section, "overrides")

      // an empty value counts as unset, so a lower section applies
      const empty = yield* TmConfig.parse(
        `[managed]\ngateway_model_id = "served"\n[overrides]\ngateway_model_id = ""\n`,
        "/x/config.toml"
      )
      assert.strictEqual(empty.model?.value, "served")
    }))

  it.scoped("the file is found under $TM_CONFIG_HOME, else under $HOME/.config/tensormesh", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const fromTmHome = writeFile(dir, "tm-home/config.toml", `[managed]\ngateway_model_id = "from-tm-home"\n`)
      const fromHome = writeFile(
        dir,
        "home/.config/tensormesh/config.toml",
        `[managed]\ngateway_model_id = "from-home"\n`
      )

      assert.strictEqual(
        yield* TmConfig.defaultPath.pipe(withEnv({ TM_CONFIG_HOME: NodePath.join(dir, "tm-home") })),
        fromTmHome
      )
      assert.strictEqual(yield* TmConfig.defaultPath.pipe(withEnv({ HOME: NodePath.join(dir, "home") })), fromHome)
      assert.deepStrictEqual(
        yield* TmConfig.model().pipe(
          withEnv({ HOME: NodePath.join(dir, "home"), TM_CONFIG_HOME: NodePath.join(dir, "tm-home") })
        ),
        Option.some("from-tm-home")
      )
      assert.deepStrictEqual(
        yield* TmConfig.model().pipe(withEnv({ HOME: NodePath.join(dir, "home") })),
        Option.some("from-home")
      )
      // `~` in TM_CONFIG_HOME is the home directory
      assert.strictEqual(
        yield* TmConfig.defaultPath.pipe(withEnv({ HOME: dir, TM_CONFIG_HOME: "~/tm-home" })),
        fromTmHome
      )
      // an explicit path wins over both
      assert.deepStrictEqual(
        yield* TmConfig.model({ path: fromHome }).pipe(withEnv({ TM_CONFIG_HOME: NodePath.join(dir, "tm-home") })),
        Option.some("from-home")
      )
    }))

  it.scoped("a missing file at the default location is not an error", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const env = withEnv({ TM_CONFIG_HOME: NodePath.join(dir, "nowhere") })
      const d = yield* NodeTensormesh.describeConfig({ readTmConfig: true }).pipe(env)
      assert.deepStrictEqual(d.tmConfig, { status: "missing", path: NodePath.join(dir, "nowhere", "config.toml") })
      assert.deepStrictEqual(yield* TmConfig.load().pipe(env), Option.none())
      assert.deepStrictEqual(yield* TmConfig.model().pipe(env), Option.none())
    }))

  it.scoped("TmConfig.load keeps the key Redacted", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const path = writeFile(dir, "config.toml", FULL_TM)
      const config = Option.getOrThrow(yield* TmConfig.load({ path }).pipe(withEnv({})))
      assert.isTrue(Redacted.isRedacted(config.apiKey!.value))
      assert.strictEqual(Redacted.value(config.apiKey!.value), KEY)
      assert.strictEqual(config.model?.value, "my-other-served-name")
      assert.strictEqual(config.provider?.value, "nebius")
      assert.notInclude(JSON.stringify(config), KEY)
      assert.notInclude(String(config.apiKey!.value), KEY)
    }))

  it.scoped("format lists every setting with its source, never the key or the whole user id", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const path = writeFile(dir, "config.toml", FULL_TM)
      const d = yield* NodeTensormesh.describeConfig({ readTmConfig: { path } }).pipe(
        withEnv({ TENSORMESH_TIMEOUT_SECONDS: "30" })
      )
      const text = NodeTensormesh.format(d)
      const lines = text.split("\n")
      assert.strictEqual(lines.length, 10)
      assert.match(lines[0], new RegExp(`^apiKey +<redacted> +tm:${escape(path)}\\[managed\\] \\(gateway_api_key\\)$`))
      assert.match(text, /^serverlessBaseUrl +https:\/\/serverless\.tensormesh\.ai\/v1 +default$/m)
      assert.match(
        text,
        /^onDemandBaseUrl +https:\/\/external\.nebius\.tensormesh\.ai\/v1 +tm:.*\(gateway_provider\)$/m
      )
      assert.match(text, /^userId +…d4e5 +tm:/m)
      assert.match(text, /^model +my-other-served-name +tm:.*\[overrides\] \(gateway_model_id\)$/m)
      assert.match(text, /^timeout +30 s +env:TENSORMESH_TIMEOUT_SECONDS$/m)
      assert.match(text, /^maxRetries +3 +tm:.*\[managed\] \(max_retries\)$/m)
      assert.match(text, new RegExp(`^tm config +${escape(path)} \\(loaded\\)$`, "m"))
      assert.notInclude(text, KEY)
      assert.notInclude(text, USER_ID)
      assert.notInclude(JSON.stringify(d), KEY)
      assert.notInclude(JSON.stringify(d), USER_ID)
    }))
})

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
