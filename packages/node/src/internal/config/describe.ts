import * as Duration from "effect/Duration"
import * as Redacted from "effect/Redacted"
import type * as Api from "../../NodeTensormesh.js"
import type { Resolved, Setting } from "./resolve.js"

const entry = <A>(found: Setting<A> | undefined, show: (value: A) => string): Api.ConfigEntry =>
  found === undefined
    ? { value: undefined, source: undefined, key: undefined }
    : { value: show(found.value), source: found.source, key: found.key }

/**
 * Only the last four characters of the user id, e.g. `…-…9abc`.
 *
 * @internal
 */
export const maskUserId = (userId: Redacted.Redacted<string>): string => `…${Redacted.value(userId).slice(-4)}`

const seconds = (duration: Duration.Duration): string => {
  const s = Duration.toMillis(duration) / 1000
  return `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, "")} s`
}

/**
 * The resolved settings as text safe to print: the API key only as `<redacted>`, the user id masked.
 *
 * @internal
 */
export const describe = (resolved: Resolved): Api.ConfigDescription => ({
  apiKey: entry(resolved.apiKey, () => "<redacted>"),
  serverlessBaseUrl: entry(resolved.serverlessBaseUrl, String),
  onDemandBaseUrl: entry(resolved.onDemandBaseUrl, String),
  userId: entry(resolved.userId, maskUserId),
  model: entry(resolved.model, String),
  timeout: entry(resolved.timeout, seconds),
  maxRetries: entry(resolved.maxRetries, String),
  idleTimeout: entry(resolved.idleTimeout, seconds),
  caBundle: entry(resolved.caBundle, String),
  tmConfig: resolved.tmConfig
})

const ORDER: ReadonlyArray<Exclude<keyof Api.ConfigDescription, "tmConfig">> = [
  "apiKey",
  "serverlessBaseUrl",
  "onDemandBaseUrl",
  "userId",
  "model",
  "timeout",
  "maxRetries",
  "idleTimeout",
  "caBundle"
]

/**
 * One line per setting (name, value, source), like `tm config show --sources`, then where the `tm` file is.
 *
 * @internal
 */
export const format = (description: Api.ConfigDescription): string => {
  const rows = ORDER.map((name) => {
    const e = description[name]
    const source = e.source === undefined ? "" : e.key === undefined ? e.source : `${e.source} (${e.key})`
    return [name, e.value ?? "(unset)", source] as const
  })
  const width0 = Math.max(...rows.map((r) => r[0].length))
  const width1 = Math.max(...rows.map((r) => r[1].length))
  const lines = rows.map(([name, value, source]) =>
    `${name.padEnd(width0)}  ${source === "" ? value : `${value.padEnd(width1)}  ${source}`}`
  )
  const tm = description.tmConfig
  lines.push(
    `${"tm config".padEnd(width0)}  ${tm.path === undefined ? tm.status : `${tm.path} (${tm.status})`}`
  )
  return lines.join("\n")
}
