/**
 * Command-line arguments of `tensormesh-local`.
 *
 * @internal
 */
import * as Either from "effect/Either"
import type * as Api from "../../LocalServer.js"
import { parseFaultRule } from "./faults.js"
import { REQUESTS_PATH } from "./inspect.js"

/** @internal */
export const USAGE = `Usage: tensormesh-local [options]

Runs a local Tensormesh-compatible inference server and prints its base URL.

Options:
  --port <n>                 port to listen on (default 8000; 0 for a free port)
  --host <address>           address to bind (default 127.0.0.1)
  --on-demand                on-demand mode: X-User-Id required on every route
  --token-delay-ms <n>       pause between stream chunks in milliseconds (default 0)
  --api-key <key>            accept only this key (repeatable; default: any Bearer key)
  --user-id <uuid>           on-demand: accept only this user id (repeatable; default: any UUID)
  --responses-usage <shape>  usage shape of /v1/responses: chat (default) or native
  --max-request-bytes <n>    largest request body accepted, in bytes (default 16777216; larger: 413)
  --cors                     answer CORS preflights and send CORS headers on every reply (any origin)
  --cors-origin <origin>     like --cors, for this origin only (repeatable), e.g. http://localhost:5173
  --fault <rule>             inject a fault (repeatable; rules apply in order), in the x-tensormesh-fault
                             grammar plus route=<path>|*, skip=<n> and times=<n>, e.g.
                             --fault 'route=/v1/chat/completions; times=2; status=503; retry-after=1'
  --request-log <n>          requests kept for GET ${REQUESTS_PATH} (default 200; 0 keeps none)
  -h, --help                 print this help`

/** @internal */
export type Command = { readonly _tag: "Help" } | { readonly _tag: "Serve"; readonly options: Api.Options }

const count = (flag: string, value: string): Either.Either<number, string> =>
  /^\d+$/.test(value) ? Either.right(Number(value)) : Either.left(`${flag} needs a non-negative integer`)

/**
 * Parses the arguments after the script name; `Left` holds what is wrong.
 *
 * @internal
 */
export const parseArgs = (argv: ReadonlyArray<string>): Either.Either<Command, string> => {
  let port = 8000
  let host = "127.0.0.1"
  let mode: Api.Mode = "serverless"
  let tokenDelayMs = 0
  let responsesUsage: "chat" | "native" = "chat"
  let maxRequestBytes: number | undefined
  const apiKeys: Array<string> = []
  const userIds: Array<string> = []
  const faults: Array<Api.FaultRule> = []
  const corsOrigins: Array<string> = []
  let cors = false
  let requestLog: number | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1
    const flag = eq === -1 ? arg : arg.slice(0, eq)
    const takesValue = [
      "--port",
      "--host",
      "--token-delay-ms",
      "--api-key",
      "--user-id",
      "--responses-usage",
      "--max-request-bytes",
      "--cors-origin",
      "--fault",
      "--request-log"
    ].includes(flag)
    let value: string | undefined
    if (takesValue) {
      value = eq === -1 ? argv[++i] : arg.slice(eq + 1)
      if (value === undefined || value.length === 0) return Either.left(`${flag} needs a value`)
    } else if (eq !== -1) {
      return Either.left(`${flag} takes no value`)
    }
    switch (flag) {
      case "-h":
      case "--help":
        return Either.right({ _tag: "Help" })
      case "--on-demand":
        mode = "on-demand"
        break
      case "--port": {
        const n = count(flag, value!)
        if (Either.isLeft(n) || n.right > 65535) return Either.left("--port needs a port number (0-65535)")
        port = n.right
        break
      }
      case "--host":
        host = value!
        break
      case "--token-delay-ms": {
        const n = count(flag, value!)
        if (Either.isLeft(n)) return Either.left(n.left)
        tokenDelayMs = n.right
        break
      }
      case "--api-key":
        apiKeys.push(value!)
        break
      case "--user-id":
        userIds.push(value!)
        break
      case "--responses-usage":
        if (value !== "chat" && value !== "native") return Either.left("--responses-usage is chat or native")
        responsesUsage = value
        break
      case "--max-request-bytes": {
        const n = count(flag, value!)
        if (Either.isLeft(n) || n.right < 1 || !Number.isSafeInteger(n.right)) {
          return Either.left("--max-request-bytes needs a positive integer")
        }
        maxRequestBytes = n.right
        break
      }
      case "--cors":
        cors = true
        break
      case "--cors-origin":
        corsOrigins.push(value!)
        break
      case "--fault": {
        const rule = parseFaultRule(value!)
        if (Either.isLeft(rule)) return Either.left(`--fault ${JSON.stringify(value)}: ${rule.left}`)
        faults.push(rule.right)
        break
      }
      case "--request-log": {
        const n = count(flag, value!)
        if (Either.isLeft(n)) return Either.left(n.left)
        requestLog = n.right
        break
      }
      default:
        return Either.left(`unknown argument ${arg}`)
    }
  }
  return Either.right({
    _tag: "Serve",
    options: {
      port,
      host,
      mode,
      tokenDelay: tokenDelayMs,
      responsesUsage,
      ...(maxRequestBytes === undefined ? {} : { maxRequestBytes }),
      ...(apiKeys.length > 0 ? { apiKeys } : {}),
      ...(userIds.length > 0 ? { userIds } : {}),
      ...(corsOrigins.length > 0 ? { cors: { origins: corsOrigins } } : cors ? { cors: true } : {}),
      ...(faults.length > 0 ? { faults } : {}),
      ...(requestLog === undefined ? {} : { requestLog })
    }
  })
}

const LISTEN_ERRORS: Record<string, (address: string) => string> = {
  EADDRINUSE: (address) =>
    `${address} is already in use: stop what listens there, or pick another --port (0 for a free one)`,
  EACCES: (address) => `no permission to listen on ${address}: pick a --port above 1023`,
  EADDRNOTAVAIL: (address) => `cannot listen on ${address}: the --host is not an address of this machine`
}

/**
 * The message printed when the server cannot start, e.g. when its port is taken.
 *
 * @internal
 */
export const startFailure = (cause: unknown, options: Api.Options): string => {
  const host = options.host ?? "127.0.0.1"
  const address = `${host.includes(":") ? `[${host}]` : host}:${options.port ?? 0}`
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined
  const known = code === undefined ? undefined : LISTEN_ERRORS[code]
  if (known !== undefined) return known(address)
  return `cannot listen on ${address}: ${cause instanceof Error ? cause.message : String(cause)}`
}
