/**
 * Command-line arguments of `tensormesh-local`.
 *
 * @internal
 */
import { Either } from "effect"
import type * as Api from "../../LocalServer.js"

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
      "--max-request-bytes"
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
      ...(userIds.length > 0 ? { userIds } : {})
    }
  })
}
