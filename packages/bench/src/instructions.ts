/**
 * Instructions per chat completion, counted by valgrind's callgrind (`apt-get install valgrind`), not timed: the
 * count repeats within about 2% from run to run whatever else the machine does, where CPU time on a loaded 2-core
 * machine moves by 20% or more. For comparing checkouts and drivers on (a)- and (b)-like workloads; run by hand,
 * never in CI.
 *
 *   node packages/bench/build/esm/instructions.js [--calls 500] [--concurrency 1] [--warmup 8] [--rounds 4]
 *     [--checkout DIR]... [--driver raw|openai|ours|ours-untraced]...
 *
 * Drivers by default: raw, ours and ours-untraced of the first checkout, ours of the others. Each checkout (default:
 * this one, built) × driver runs in its own process under callgrind with instrumentation off through the warm-up
 * rounds (the JIT settles; valgrind runs them 5–10× slower), on for the measured rounds only
 * (`callgrind_control -i`), two processes at a time. The drivers are each checkout's own
 * (`packages/bench/build/esm/drivers/`), against one mock server of this checkout; `ours-untraced` needs a driver
 * that takes `traced` (an older checkout's `ours` ignores it and runs traced).
 */
import { execFileSync, spawn } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import { startMockServer } from "./mockServer.js"

const here = NodePath.dirname(fileURLToPath(import.meta.url))
const thisCheckout = NodePath.resolve(here, "../../../..")

const args = process.argv.slice(2)
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name)
  return i === -1 ? fallback : args[i + 1]
}
const options = (name: string) => args.flatMap((arg, i) => arg === name && i + 1 < args.length ? [args[i + 1]] : [])

const calls = Number(option("--calls", "500"))
const concurrency = Number(option("--concurrency", "1"))
const warmup = Number(option("--warmup", "8"))
const rounds = Number(option("--rounds", "4"))
const checkouts = options("--checkout").map((dir) => NodePath.resolve(dir))
const drivers = options("--driver")

interface Spec {
  readonly checkout: string
  readonly driver: string
}

/** Instructions per call of one checkout × driver. */
const count = (spec: Spec, baseUrl: string, out: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const child = spawn("valgrind", [
      "--tool=callgrind",
      "--instr-atstart=no",
      "--dump-instr=no",
      `--callgrind-out-file=${out}`,
      process.execPath,
      NodePath.join(here, "instructionsChild.js"),
      JSON.stringify({ ...spec, baseUrl, calls, concurrency, warmup, rounds })
    ], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } })
    let stdout = ""
    let stderr = ""
    const toggle = (on: boolean) =>
      execFileSync("callgrind_control", ["-i", on ? "on" : "off", String(child.pid)], { stdio: "ignore" })
    child.stderr.setEncoding("utf8").on("data", (s: string) => stderr += s)
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s
      // the child waits for a line after "warm" and before exiting after "measured"
      if (stdout.endsWith("warm\n")) {
        toggle(true)
        child.stdin.write("go\n")
      } else if (stdout.endsWith("measured\n")) {
        toggle(false)
        child.stdin.end()
      }
    })
    child.once("error", reject)
    child.once("exit", (code) => {
      const totals = code === 0 && NodeFs.existsSync(out)
        ? /^totals: (\d+)/m.exec(NodeFs.readFileSync(out, "utf8"))
        : null
      NodeFs.rmSync(out, { force: true })
      if (totals === null) {
        reject(new Error(`${spec.driver} @ ${spec.checkout} failed (${code}): ${stderr.slice(-800)}`))
      } else resolve(Number(totals[1]) / (calls * rounds))
    })
  })

const main = async () => {
  const specs: Array<Spec> = (checkouts.length === 0 ? [thisCheckout] : checkouts).flatMap((checkout, i) =>
    (drivers.length === 0 ? (i === 0 ? ["raw", "ours", "ours-untraced"] : ["ours"]) : drivers).map((driver) => ({
      checkout,
      driver
    }))
  )
  const { child, port } = await startMockServer()
  const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "tm-instructions-"))
  const results = new Array<number>(specs.length)
  try {
    // two at a time: callgrind runs a process's threads one at a time, and the machine has two cores
    let next = 0
    const lane = async () => {
      while (next < specs.length) {
        const i = next++
        results[i] = await count(specs[i], `http://127.0.0.1:${port}/v1`, NodePath.join(dir, `${i}.out`))
      }
    }
    await Promise.all([lane(), lane()])
  } finally {
    child.kill()
    NodeFs.rmSync(dir, { recursive: true, force: true })
  }
  const raw = specs.findIndex((s) => s.driver === "raw")
  process.stdout.write(
    `${calls} × ${rounds} measured chat completions, ${concurrency} at a time, after ${warmup} warm-up rounds:\n`
  )
  specs.forEach((spec, i) => {
    const ratio = raw === -1 ? "" : `  ${(results[i] / results[raw]).toFixed(2)}× raw`
    process.stdout.write(
      `${spec.driver.padEnd(14)} ${spec.checkout.padEnd(40)} ${(results[i] / 1000).toFixed(1)} k instructions${ratio}\n`
    )
  })
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).message}\n`)
  process.exit(1)
})
