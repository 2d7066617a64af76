/**
 * The `tensormesh-local` command: a local Tensormesh-compatible server on `127.0.0.1:8000` (see `--help`), which
 * prints its base URL and runs until SIGINT or SIGTERM.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Cli from "./internal/localServer/cli.js"
import * as LocalServer from "./LocalServer.js"

const command = Cli.parseArgs(process.argv.slice(2))

if (Either.isLeft(command)) {
  process.stderr.write(`tensormesh-local: ${command.left}\n\n${Cli.USAGE}\n`)
  process.exitCode = 2
} else if (command.right._tag === "Help") {
  process.stdout.write(`${Cli.USAGE}\n`)
} else {
  const options = command.right.options
  const main = Effect.gen(function*() {
    const server = yield* LocalServer.make(options)
    yield* Console.log(server.baseUrl)
    return yield* Effect.never
  }).pipe(
    Effect.catchTag("ServeError", (error) =>
      Effect.sync(() => {
        process.stderr.write(`tensormesh-local: ${Cli.startFailure(error.cause, options)}\n`)
        process.exitCode = 1
      }))
  )
  NodeRuntime.runMain(Effect.scoped(main))
}
