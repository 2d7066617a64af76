/**
 * One checkout × driver under callgrind, for `instructions.ts`: the warm-up rounds, then "warm" on stdout and a
 * line awaited on stdin (the parent turns instrumentation on), the measured rounds, then "measured" and a wait for
 * stdin to close (the parent turns it off) before exiting.
 */
import * as NodePath from "node:path"
import * as NodeReadline from "node:readline"
import { pathToFileURL } from "node:url"
import type { Driver, DriverOptions } from "./drivers/Driver.js"

interface Input {
  readonly checkout: string
  readonly driver: string
  readonly baseUrl: string
  readonly calls: number
  readonly concurrency: number
  readonly warmup: number
  readonly rounds: number
}

const input = JSON.parse(process.argv[2]) as Input

const makeDriver = async (): Promise<Driver> => {
  const untraced = input.driver === "ours-untraced"
  const file = NodePath.join(
    input.checkout,
    "packages/bench/build/esm/drivers",
    `${untraced ? "ours" : input.driver}.js`
  )
  const module = await import(pathToFileURL(file).href) as {
    readonly make: (options: DriverOptions, traced?: boolean) => Promise<Driver>
  }
  return module.make({ baseUrl: input.baseUrl, root: input.baseUrl.replace(/\/v1$/, "") }, !untraced)
}

const round = async (driver: Driver) => {
  const tally = await driver.chat(input.calls, input.concurrency)
  if (tally.ok !== input.calls) throw new Error(`${tally.ok}/${input.calls} calls intact: ${tally.problems.join("; ")}`)
}

const main = async () => {
  const driver = await makeDriver()
  const lines = NodeReadline.createInterface({ input: process.stdin })
  const closed = new Promise<void>((resolve) => lines.once("close", resolve))
  for (let i = 0; i < input.warmup; i++) await round(driver)
  process.stdout.write("warm\n")
  await new Promise((resolve) => lines.once("line", resolve))
  for (let i = 0; i < input.rounds; i++) await round(driver)
  process.stdout.write("measured\n")
  await closed
  process.exit(0)
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
