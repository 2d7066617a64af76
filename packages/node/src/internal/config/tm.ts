import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import type { ValidationError } from "@tensormesh-effect/core"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import type * as Toml from "smol-toml"
import type * as Api from "../../TmConfig.js"
import { configError } from "./errors.js"

type TomlModule = typeof Toml

/** @internal */
export const FILE_NAME = "config.toml"

/** @internal */
export const sourceOf = (path: string, section: Api.Section): string =>
  section === "top-level" ? `tm:${path}` : `tm:${path}[${section}]`

const optionalString = (name: string): Effect.Effect<string | undefined, ValidationError> =>
  Config.option(Config.string(name)).pipe(
    Effect.map((value) => Option.getOrUndefined(Option.filter(value, (s) => s.trim() !== ""))),
    Effect.mapError(() => configError(name, `env:${name}`, "could not be read from the configuration provider"))
  )

/**
 * The user's home directory: `HOME` read through Effect `Config`, else `os.homedir()`.
 *
 * @internal
 */
export const homeDirectory: Effect.Effect<string, ValidationError> = Effect.map(
  optionalString("HOME"),
  (home) => home ?? NodeOs.homedir()
)

/**
 * Expands a leading `~` to the home directory and makes the path absolute.
 *
 * @internal
 */
export const expandPath = (path: string, home: string): string => {
  const trimmed = path.trim()
  const expanded = trimmed === "~"
    ? home
    : trimmed.startsWith("~/") || trimmed.startsWith("~\\")
    ? NodePath.join(home, trimmed.slice(2))
    : trimmed
  return NodePath.resolve(expanded)
}

/**
 * `$TM_CONFIG_HOME/config.toml`, else `~/.config/tensormesh/config.toml`.
 *
 * @internal
 */
export const defaultPath: Effect.Effect<string, ValidationError> = Effect.gen(function*() {
  const home = yield* homeDirectory
  const tmHome = yield* optionalString("TM_CONFIG_HOME")
  return tmHome === undefined
    ? NodePath.join(home, ".config", "tensormesh", FILE_NAME)
    : NodePath.join(expandPath(tmHome, home), FILE_NAME)
})

type Table = Record<string, unknown>

const isTable = (u: unknown): u is Table =>
  typeof u === "object" && u !== null && !Array.isArray(u) && !(u instanceof Date)

/** Thrown inside `parse` only, and caught there. */
class Failure {
  constructor(readonly error: ValidationError) {}
}

type CheckResult<A> = { readonly ok: A } | { readonly skip: true } | { readonly reason: string }

type Check<A> = (value: unknown) => CheckResult<A>

const stringValue: Check<string> = (value) =>
  typeof value !== "string"
    ? { reason: "must be a string" }
    : value.trim() === ""
    ? { skip: true }
    : { ok: value.trim() }

const positiveNumber: Check<number> = (value) => {
  const n = typeof value === "number"
    ? value
    : typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)
    ? Number(value)
    : Number.NaN
  return Number.isFinite(n) && n > 0 ? { ok: n } : { reason: "must be a positive number of seconds" }
}

const wholeNumber: Check<number> = (value) => {
  const n = typeof value === "number"
    ? value
    : typeof value === "string" && /^\s*\d+\s*$/.test(value)
    ? Number(value)
    : Number.NaN
  return Number.isSafeInteger(n) && n >= 0 ? { ok: n } : { reason: "must be a whole number ≥ 0" }
}

const providerName: Check<string> = (value) => {
  const s = stringValue(value)
  if (!("ok" in s)) return s
  return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(s.ok)
    ? { ok: s.ok.toLowerCase() }
    : { reason: "must be a provider name such as nebius (letters, digits and dashes)" }
}

/**
 * The on-demand host of a gateway provider, e.g. `https://external.nebius.tensormesh.ai/v1`.
 *
 * @internal
 */
export const providerBaseUrl = (provider: string): string => `https://external.${provider}.tensormesh.ai/v1`

const reasonOf = (error: Toml.TomlError): string => {
  const first = error.message.split("\n")[0] ?? ""
  const reason = first.replace(/^Invalid TOML document:\s*/, "").trim()
  return `${
    reason === "" ? "not valid TOML" : `not valid TOML: ${reason}`
  } (line ${error.line}, column ${error.column})`
}

/**
 * Parses the text of a `tm` config file. `[overrides]` wins over `[managed]`, which wins over top-level keys.
 * Failures name the key and where it was found, never its value.
 *
 * @internal
 */
export const parseWith = (toml: TomlModule, text: string, path: string): Effect.Effect<Api.TmConfig, ValidationError> =>
  Effect.suspend(() => {
    let document: Table
    try {
      document = toml.parse(text) as Table
    } catch (error) {
      return Effect.fail(
        configError(
          "tm config",
          `tm:${path}`,
          error instanceof toml.TomlError ? reasonOf(error) : "not valid TOML"
        )
      )
    }
    try {
      const tables: Array<readonly [Api.Section, Table]> = []
      for (const section of ["overrides", "managed"] as const) {
        const table = document[section]
        if (table === undefined) continue
        if (!isTable(table)) throw new Failure(configError(`[${section}]`, `tm:${path}`, "must be a table"))
        tables.push([section, table])
      }
      tables.push(["top-level", document])

      const lookup = <A>(
        keys: ReadonlyArray<string>,
        check: (value: unknown, key: string) => CheckResult<A>
      ): Api.Entry<A> | undefined => {
        for (const [section, table] of tables) {
          for (const key of keys) {
            const raw = table[key]
            if (raw === undefined) continue
            const result = check(raw, key)
            if ("reason" in result) throw new Failure(configError(key, sourceOf(path, section), result.reason))
            if ("skip" in result) continue
            return { value: result.ok, section, key, source: sourceOf(path, section) }
          }
        }
        return undefined
      }

      const apiKey = lookup(["gateway_api_key"], stringValue)
      const userId = lookup(["gateway_user_id", "user_id"], stringValue)
      const provider = lookup(["gateway_provider"], providerName)
      // Section by section: an explicit base URL, else one derived from the provider.
      const onDemandBaseUrl = lookup(
        ["gateway_base_url", "on_demand_base_url", "gateway_provider"],
        (value, key) => {
          if (key !== "gateway_provider") return stringValue(value)
          const name = providerName(value)
          return "ok" in name ? { ok: providerBaseUrl(name.ok) } : name
        }
      )
      const config: Api.TmConfig = {
        path,
        apiKey: apiKey === undefined ? undefined : { ...apiKey, value: Redacted.make(apiKey.value) },
        model: lookup(["gateway_model_id"], stringValue),
        userId: userId === undefined ? undefined : { ...userId, value: Redacted.make(userId.value) },
        onDemandBaseUrl,
        provider,
        timeoutSeconds: lookup(["timeout_seconds"], positiveNumber),
        maxRetries: lookup(["max_retries"], wholeNumber),
        caBundle: lookup(["ca_bundle"], stringValue)
      }
      return Effect.succeed(config)
    } catch (failure) {
      if (failure instanceof Failure) return Effect.fail(failure.error)
      throw failure
    }
  })

/**
 * `parseWith` the TOML parser imported on the first parse: the layers read a `tm` config file only when asked to, so
 * that importing them never loads smol-toml. (`TmConfig.parse`, public and synchronous, imports it itself.)
 *
 * @internal
 */
export const parse = (text: string, path: string): Effect.Effect<Api.TmConfig, ValidationError> =>
  Effect.flatMap(Effect.promise(() => import("smol-toml")), (toml) => parseWith(toml, text, path))

const describeFsError = (error: PlatformError): string => {
  if (error._tag === "SystemError") {
    switch (error.reason) {
      case "NotFound":
        return "file not found"
      case "PermissionDenied":
        return "permission denied"
      default:
        return `cannot be read (${error.reason})`
    }
  }
  return "cannot be read"
}

/**
 * Reads a file for a setting, failing with a message naming the setting and its source.
 *
 * @internal
 */
export const readFile = (
  path: string,
  setting: string,
  source: string
): Effect.Effect<string, ValidationError, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    fs.readFileString(path).pipe(
      Effect.mapError((error) => configError(setting, source, `${path}: ${describeFsError(error)}`, error))
    ))

/**
 * Where the `tm` config file is: the given path (`~` expanded), else the default location.
 *
 * @internal
 */
export const locate = (
  options?: Api.LoadOptions
): Effect.Effect<{ readonly path: string; readonly explicit: boolean }, ValidationError> =>
  options?.path === undefined
    ? Effect.map(defaultPath, (path) => ({ path, explicit: false }))
    : Effect.map(homeDirectory, (home) => ({ path: expandPath(options.path!, home), explicit: true }))

/**
 * Loads the `tm` config file and says where it looked: from `path` when given (which must then exist), else from
 * the default location (a missing file there gives `None`).
 *
 * @internal
 */
export const loadFrom = (
  options?: Api.LoadOptions
): Effect.Effect<
  { readonly path: string; readonly config: Option.Option<Api.TmConfig> },
  ValidationError,
  FileSystem.FileSystem
> =>
  Effect.gen(function*() {
    const { explicit, path } = yield* locate(options)
    const fs = yield* FileSystem.FileSystem
    if (!explicit) {
      const exists = yield* fs.exists(path).pipe(Effect.orElseSucceed(() => false))
      if (!exists) return { path, config: Option.none() }
    }
    const text = yield* readFile(path, "tm config", `tm:${path}`)
    return { path, config: Option.some(yield* parse(text, path)) }
  })

/** @internal */
export const load = (
  options?: Api.LoadOptions
): Effect.Effect<Option.Option<Api.TmConfig>, ValidationError, FileSystem.FileSystem> =>
  Effect.map(loadFrom(options), (loaded) => loaded.config)
