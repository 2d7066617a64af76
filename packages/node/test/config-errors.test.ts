// Typed failures when the Node layers are built: each names the setting and its source, and never shows the API
// key (nor the offending value).
import { assert, describe, it } from "@effect/vitest"
import { ValidationError } from "@tensormesh-effect/core"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as NodeTensormesh from "../src/NodeTensormesh.js"
import * as TmConfig from "../src/TmConfig.js"

const KEY = "ak-test-SECRET-42"
const USER_ID = "1f0c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5"
const BAD_USER_ID = "user-SECRET-7"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const tempDir = Effect.acquireRelease(
  Effect.sync(() => NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "tensormesh-config-errors-"))),
  (dir) => Effect.sync(() => NodeFs.rmSync(dir, { recursive: true, force: true }))
)

const writeFile = (dir: string, name: string, text: string): string => {
  const path = NodePath.join(dir, name)
  NodeFs.writeFileSync(path, text)
  return path
}

/** Builds the layer (or runs the effect) and returns its failure. */
const failureOf = <A, R>(
  subject: Layer.Layer<A, ValidationError> | Effect.Effect<R, ValidationError>,
  env: Record<string, string>
): Effect.Effect<ValidationError> => {
  const run: Effect.Effect<unknown, ValidationError> = Layer.isLayer(subject)
    ? Effect.scoped(Layer.build(subject as Layer.Layer<A, ValidationError>))
    : subject as Effect.Effect<R, ValidationError>
  return run.pipe(Effect.flip, Effect.orDieWith(() => new Error("expected a failure")), withEnv(env))
}

/** The failure is an `InvalidConfig` `ValidationError` whose message says `<setting> from <source>`, no secret. */
const assertConfigError = (
  error: ValidationError,
  expected: { readonly setting: string; readonly source?: string; readonly reason: RegExp },
  secrets: ReadonlyArray<string> = []
) => {
  assert.instanceOf(error, ValidationError)
  assert.strictEqual(error._tag, "ValidationError")
  assert.strictEqual(error.reason, "InvalidConfig")
  assert.isFalse(error.retryable)
  const prefix = expected.source === undefined ? `${expected.setting}: ` : `${expected.setting} from ${expected.source}`
  assert.include(error.message, prefix)
  assert.match(error.message, expected.reason)
  for (const secret of [KEY, ...secrets]) {
    for (const text of [error.message, String(error), JSON.stringify(error), error.detail ?? ""]) {
      assert.notInclude(text, secret)
    }
  }
}

describe("configuration failures", () => {
  it.scoped("a tm file that is not TOML (the broken line holds the key)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const path = writeFile(dir, "config.toml", `timeout_seconds = 60\n[managed]\ngateway_api_key = "${KEY}\n`)
      const error = yield* failureOf(NodeTensormesh.onDemand({ readTmConfig: { path } }), {})
      assertConfigError(error, {
        setting: "tm config",
        source: `tm:${path}`,
        reason: /not valid TOML.*\(line 3, column/
      })
      assertConfigError(yield* failureOf(NodeTensormesh.describeConfig({ readTmConfig: { path } }), {}), {
        setting: "tm config",
        source: `tm:${path}`,
        reason: /not valid TOML/
      })
      assertConfigError(yield* failureOf(TmConfig.load({ path }), {}), {
        setting: "tm config",
        source: `tm:${path}`,
        reason: /not valid TOML/
      })
    }))

  it.scoped("a tm file with a section that is not a table", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const path = writeFile(dir, "config.toml", `gateway_api_key = "${KEY}"\nmanaged = "yes"\n`)
      const error = yield* failureOf(NodeTensormesh.serverless({ readTmConfig: { path } }), {})
      assertConfigError(error, { setting: "[managed]", source: `tm:${path}`, reason: /must be a table/ })
    }))

  it.scoped("a tm value of the wrong type", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const key = writeFile(
        dir,
        "key.toml",
        `[overrides]\ngateway_api_key = 42\n[managed]\ngateway_api_key = "${KEY}"\n`
      )
      assertConfigError(yield* failureOf(NodeTensormesh.serverless({ readTmConfig: { path: key } }), {}), {
        setting: "gateway_api_key",
        source: `tm:${key}[overrides]`,
        reason: /must be a string/
      })
      const timeout = writeFile(
        dir,
        "timeout.toml",
        `timeout_seconds = "soon"\n[managed]\ngateway_api_key = "${KEY}"\n`
      )
      assertConfigError(yield* failureOf(NodeTensormesh.serverless({ readTmConfig: { path: timeout } }), {}), {
        setting: "timeout_seconds",
        source: `tm:${timeout}`,
        reason: /positive number of seconds/
      })
      const retries = writeFile(dir, "retries.toml", `[managed]\nmax_retries = -1\n`)
      assertConfigError(yield* failureOf(NodeTensormesh.serverless({ readTmConfig: { path: retries } }), {}), {
        setting: "max_retries",
        source: `tm:${retries}[managed]`,
        reason: /whole number/
      })
      const provider = writeFile(dir, "provider.toml", `[managed]\ngateway_provider = "evil.example/x"\n`)
      assertConfigError(yield* failureOf(NodeTensormesh.onDemand({ readTmConfig: { path: provider } }), {}), {
        setting: "gateway_provider",
        source: `tm:${provider}[managed]`,
        reason: /provider name/
      })
    }))

  it.scoped("an explicit tm path that does not exist", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const path = NodePath.join(dir, "absent.toml")
      assertConfigError(yield* failureOf(NodeTensormesh.serverless({ readTmConfig: { path } }), {}), {
        setting: "tm config",
        source: `tm:${path}`,
        reason: /file not found/
      })
    }))

  it.scoped("a missing on-demand base URL or user id, with where it could have come from", () =>
    Effect.gen(function*() {
      const noBase = yield* failureOf(NodeTensormesh.onDemand(), {
        TENSORMESH_INFERENCE_API_KEY: KEY,
        TENSORMESH_ON_DEMAND_USER_ID: USER_ID
      })
      assertConfigError(noBase, {
        setting: "onDemandBaseUrl",
        reason: /missing; set the baseUrl option, TENSORMESH_ON_DEMAND_BASE_URL, or gateway_base_url/
      }, [USER_ID])
      const noUser = yield* failureOf(NodeTensormesh.onDemand({ baseUrl: "https://gw.example/v1" }), {
        TENSORMESH_INFERENCE_API_KEY: KEY
      })
      assertConfigError(noUser, {
        setting: "userId",
        reason: /missing; set the userId option, TENSORMESH_ON_DEMAND_USER_ID \(or TENSORMESH_USER_ID\)/
      })
      // `layer` needs them too, and names its own option
      assertConfigError(yield* failureOf(NodeTensormesh.layer({ userId: USER_ID }), {}), {
        setting: "onDemandBaseUrl",
        reason: /set the onDemandBaseUrl option/
      }, [USER_ID])
      // with readTmConfig, the hint says where the file was looked for
      const dir = yield* tempDir
      const present = writeFile(dir, "config.toml", `[managed]\ngateway_api_key = "${KEY}"\n`)
      assertConfigError(yield* failureOf(NodeTensormesh.onDemand({ readTmConfig: { path: present } }), {}), {
        setting: "onDemandBaseUrl",
        reason: new RegExp(`gateway_base_url \\(or gateway_provider\\) in the tm config file ${escape(present)}`)
      })
      assertConfigError(
        yield* failureOf(NodeTensormesh.onDemand({ readTmConfig: true }), { TM_CONFIG_HOME: NodePath.join(dir, "x") }),
        { setting: "onDemandBaseUrl", reason: /\(not found at .*config\.toml\)/ }
      )
      // `describeConfig` shows them as unset instead
      const d = yield* NodeTensormesh.describeConfig().pipe(withEnv({}))
      assert.strictEqual(d.onDemandBaseUrl.value, undefined)
    }))

  it.scoped("an unreadable CA bundle, from each source", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const absent = NodePath.join(dir, "absent.pem")
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless(), {
          TENSORMESH_INFERENCE_API_KEY: KEY,
          TENSORMESH_CA_BUNDLE: absent
        }),
        { setting: "caBundle", source: "env:TENSORMESH_CA_BUNDLE", reason: /absent\.pem: file not found/ }
      )
      assertConfigError(
        yield* failureOf(NodeTensormesh.transport({ caBundle: absent }), {}),
        { setting: "caBundle", source: "option", reason: /file not found/ }
      )
      const tm = writeFile(dir, "config.toml", `ca_bundle = "${absent}"\n[managed]\ngateway_api_key = "${KEY}"\n`)
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless({ readTmConfig: { path: tm } }), {}),
        { setting: "caBundle", source: `tm:${tm} ca_bundle`, reason: /file not found/ }
      )
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless({ caBundle: dir }), {}),
        { setting: "caBundle", source: "option", reason: /cannot be read/ }
      )
      const notPem = writeFile(dir, "not.pem", `api_key = ${KEY}\n`)
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless({ caBundle: notPem }), { TENSORMESH_INFERENCE_API_KEY: KEY }),
        { setting: "caBundle", source: "option", reason: /no PEM certificate/ }
      )
    }))

  it.scoped("an invalid URL, from each source, never echoed (it may hold credentials)", () =>
    Effect.gen(function*() {
      const env = { TENSORMESH_INFERENCE_API_KEY: KEY, TENSORMESH_ON_DEMAND_USER_ID: USER_ID }
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless(), { ...env, TENSORMESH_SERVERLESS_BASE_URL: "not a url" }),
        { setting: "serverlessBaseUrl", source: "env:TENSORMESH_SERVERLESS_BASE_URL", reason: /not a valid URL/ },
        ["not a url"]
      )
      assertConfigError(
        yield* failureOf(NodeTensormesh.onDemand({ baseUrl: "ftp://gw.example/v1" }), env),
        { setting: "onDemandBaseUrl", source: "option", reason: /must be an http or https URL/ },
        ["ftp://gw.example"]
      )
      assertConfigError(
        yield* failureOf(NodeTensormesh.onDemand(), {
          ...env,
          TENSORMESH_ON_DEMAND_BASE_URL: `https://u:${KEY}@gw/v1`
        }),
        {
          setting: "onDemandBaseUrl",
          source: "env:TENSORMESH_ON_DEMAND_BASE_URL",
          reason: /must not contain credentials/
        }
      )
      const dir = yield* tempDir
      const tm = writeFile(dir, "config.toml", `[managed]\ngateway_base_url = "gw.example:bad/v1"\n`)
      assertConfigError(
        yield* failureOf(NodeTensormesh.onDemand({ readTmConfig: { path: tm } }), env),
        { setting: "onDemandBaseUrl", source: `tm:${tm}[managed] gateway_base_url`, reason: /http or https|valid URL/ }
      )
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless({ baseUrl: "https://gw.example/v1?key=x" }), env),
        { setting: "serverlessBaseUrl", source: "option", reason: /query or fragment/ }
      )
    }))

  it.scoped("a user id that is not a UUID, from each source, never echoed", () =>
    Effect.gen(function*() {
      const env = { TENSORMESH_INFERENCE_API_KEY: KEY, TENSORMESH_ON_DEMAND_BASE_URL: "https://gw.example/v1" }
      assertConfigError(
        yield* failureOf(NodeTensormesh.onDemand(), { ...env, TENSORMESH_ON_DEMAND_USER_ID: BAD_USER_ID }),
        { setting: "userId", source: "env:TENSORMESH_ON_DEMAND_USER_ID", reason: /not a UUID/ },
        [BAD_USER_ID]
      )
      assertConfigError(
        yield* failureOf(NodeTensormesh.onDemand(), { ...env, TENSORMESH_USER_ID: BAD_USER_ID }),
        { setting: "userId", source: "env:TENSORMESH_USER_ID", reason: /not a UUID/ },
        [BAD_USER_ID]
      )
      assertConfigError(
        yield* failureOf(NodeTensormesh.onDemand({ userId: Redacted.make(BAD_USER_ID) }), env),
        { setting: "userId", source: "option", reason: /not a UUID/ },
        [BAD_USER_ID]
      )
      const dir = yield* tempDir
      const tm = writeFile(dir, "config.toml", `[managed]\ngateway_user_id = "${BAD_USER_ID}"\n`)
      assertConfigError(
        yield* failureOf(NodeTensormesh.layer({ readTmConfig: { path: tm } }), env),
        { setting: "userId", source: `tm:${tm}[managed] gateway_user_id`, reason: /not a UUID/ },
        [BAD_USER_ID]
      )
      // the serverless surface does not use the user id, so it does not check it
      yield* Effect.scoped(Layer.build(NodeTensormesh.serverless())).pipe(
        withEnv({ ...env, TENSORMESH_ON_DEMAND_USER_ID: BAD_USER_ID })
      )
    }))

  it.effect("numbers that do not parse", () =>
    Effect.gen(function*() {
      const env = { TENSORMESH_INFERENCE_API_KEY: KEY }
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless(), { ...env, TENSORMESH_MAX_RETRIES: "three" }),
        { setting: "maxRetries", source: "env:TENSORMESH_MAX_RETRIES", reason: /whole number/ },
        ["three"]
      )
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless(), { ...env, TENSORMESH_TIMEOUT_SECONDS: "-1" }),
        { setting: "timeout", source: "env:TENSORMESH_TIMEOUT_SECONDS", reason: /positive number of seconds/ }
      )
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless(), { ...env, TENSORMESH_TIMEOUT_SECONDS: "0" }),
        { setting: "timeout", source: "env:TENSORMESH_TIMEOUT_SECONDS", reason: /positive/ }
      )
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless({ maxRetries: 1.5 }), env),
        { setting: "maxRetries", source: "option", reason: /whole number/ }
      )
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless({ idleTimeout: 0 }), env),
        { setting: "idleTimeout", source: "option", reason: /positive duration/ }
      )
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless({ connections: 0 }), env),
        { setting: "connections", source: "option", reason: /whole number > 0/ }
      )
    }))

  it.effect("an API key with a line break", () =>
    Effect.gen(function*() {
      assertConfigError(
        yield* failureOf(NodeTensormesh.serverless(), { TENSORMESH_INFERENCE_API_KEY: `${KEY}\nx-injected: 1` }),
        { setting: "apiKey", source: "env:TENSORMESH_INFERENCE_API_KEY", reason: /line break/ }
      )
    }))
})

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
