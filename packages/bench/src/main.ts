/**
 * `pnpm bench` (from the repository root, after `pnpm build`): the mock server in its own process, every driver ×
 * workload in a fresh process (drivers alternating, medians of the runs), cold starts and bundle sizes; prints the
 * table and writes it to `docs/performance.md`.
 *
 * `pnpm bench --quick`: a tiny form that checks every driver receives everything, prints the table, writes nothing
 * and asserts nothing about the figures. Options: `--runs N` (workload runs, default 3), `--cold-runs N` (default
 * 9), `--out PATH` (default `docs/performance.md`). The results are also kept as JSON in `.tmp/bench-results.json`;
 * `--render PATH` renders such a file again without running anything.
 */
import { spawn } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import { type BundleFigures, bundles } from "./bundle.js"
import type { DriverOptions } from "./drivers/Driver.js"
import { startMockServer } from "./mockServer.js"
import { expectedCompletion, expectedStreamText } from "./payloads.js"
import { type ColdFigures, type Figures, type OpenFigures, render, type Results } from "./report.js"
import type { DriverId, WorkerInput, WorkerOutput } from "./worker.js"
import { measuredRounds, type Workload, workloads } from "./workloads.js"

const here = NodePath.dirname(fileURLToPath(import.meta.url))
const repoRoot = NodePath.resolve(here, "../../../..")

const args = process.argv.slice(2)
const flag = (name: string) => args.includes(name)
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name)
  return i === -1 ? fallback : args[i + 1]
}
const quick = flag("--quick")
const runs = Number(option("--runs", quick ? "1" : "3"))
const coldRuns = Number(option("--cold-runs", quick ? "1" : "9"))
const out = NodePath.resolve(repoRoot, option("--out", "docs/performance.md"))

const DRIVERS: ReadonlyArray<DriverId> = ["raw", "openai", "ours"]
/**
 * Every driver of a workload: (a)–(e) also run ours with Effect's tracer disabled (what the client span costs,
 * `report.ts`'s "The client span"); (h) measures memory per open stream, for which the span is not in question.
 */
const driversOf = (workload: Workload): ReadonlyArray<DriverId> =>
  workload.slow === undefined ? [...DRIVERS, "ours-untraced"] : DRIVERS
/** Every child process is killed past this, so a stuck driver cannot hang the run. */
const CHILD_TIMEOUT_MS = quick ? 30_000 : 180_000

const log = (line: string) => process.stderr.write(`${line}\n`)

interface ChildResult {
  readonly stdout: string
  readonly wallMs: number
}

/** Runs `node script ...args`, bounded by CHILD_TIMEOUT_MS; fails on a non-zero exit. */
const runNode = (script: string, scriptArgs: ReadonlyArray<string>, nodeArgs: ReadonlyArray<string> = []) =>
  new Promise<ChildResult>((resolve, reject) => {
    const start = performance.now()
    const child = spawn(process.execPath, [...nodeArgs, script, ...scriptArgs], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (s: string) => stdout += s)
    child.stderr.setEncoding("utf8").on("data", (s: string) => stderr += s)
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS)
    child.once("error", reject)
    child.once("exit", (code, signal) => {
      const wallMs = performance.now() - start
      clearTimeout(timer)
      if (code === 0) resolve({ stdout, wallMs })
      else {reject(
          new Error(`${NodePath.basename(script)} ${scriptArgs[0] ?? ""} failed (${code ?? signal}): ${stderr}`)
        )}
    })
  })

const lastLine = (text: string) => text.trim().split("\n").at(-1) ?? ""

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Rotates the driver order each run, so no driver always goes first (or always runs on a warmer machine). */
const rotated = <A>(items: ReadonlyArray<A>, by: number) => items.map((_, i) => items[(i + by) % items.length])

const problems: Array<string> = []
/** Checks that passed: a driver's workload received whole, an app's answer and stream, ... */
let passed = 0

const runWorkloads = async (options: DriverOptions) => {
  const samples = new Map<string, Array<WorkerOutput>>()
  const list = workloads(quick)
  for (let run = 0; run < runs; run++) {
    for (const workload of list) {
      for (const driver of rotated(driversOf(workload), run + list.indexOf(workload))) {
        const input: WorkerInput = { driver, workload: workload.id, quick, options }
        let output: WorkerOutput
        try {
          // `--expose-gc`: (h) measures the live heap of the open streams after a full GC
          const result = await runNode(NodePath.join(here, "worker.js"), [JSON.stringify(input)], ["--expose-gc"])
          output = JSON.parse(lastLine(result.stdout)) as WorkerOutput
        } catch (error) {
          problems.push(`${driver} ${workload.id}: ${(error as Error).message.trim()}`)
          continue
        }
        const { tally } = output
        const unitsOk = workload.chunks === undefined || tally.units === workload.chunks
        if (tally.ok !== workload.calls || tally.problems.length > 0 || !unitsOk) {
          problems.push(
            `${driver} ${workload.id}: ${tally.ok}/${workload.calls} calls intact, ${tally.units} units` +
              (tally.problems.length > 0 ? ` (${tally.problems.join("; ")})` : "")
          )
          continue
        }
        const key = `${workload.id}/${driver}`
        samples.set(key, [...(samples.get(key) ?? []), output])
        passed++
        log(
          `run ${run + 1}/${runs} ${workload.id.padEnd(10)} ${driver.padEnd(6)} ` +
            `cpu ${(output.cpuUs / 1000).toFixed(1)} ms, wall ${output.wallMs.toFixed(0)} ms, ` +
            `rss ${(output.peakRssKb / 1024).toFixed(0)} MB (+${(output.peakGrowthKb / 1024).toFixed(0)} MB)` +
            (output.open === undefined ? "" : openLine(output))
        )
      }
    }
  }
  const figures: Array<Figures> = []
  for (const workload of list) {
    for (const driver of driversOf(workload)) {
      const list = samples.get(`${workload.id}/${driver}`) ?? []
      if (list.length === 0) continue
      const units = workload.per === "chunk" ? list[0].tally.units : workload.calls
      figures.push({
        workload: workload.id,
        driver,
        runs: list.length,
        cpuPerUnitUs: median(list.map((o) => o.cpuUs / units)),
        throughput: median(list.map((o) => units / (o.wallMs / 1000))),
        peakRssMb: median(list.map((o) => o.peakRssKb / 1024)),
        setupRssMb: median(list.map((o) => o.setupRssKb / 1024)),
        baselineRssMb: median(list.map((o) => o.baselineRssKb / 1024)),
        peakGrowthMb: median(list.map((o) => o.peakGrowthKb / 1024)),
        wallMs: median(list.map((o) => o.wallMs)),
        open: openFigures(list)
      })
    }
  }
  return figures
}

const openLine = ({ open }: WorkerOutput) =>
  open === undefined ? "" : `, per open stream ${open.rssPerStreamKib?.toFixed(1) ?? "–"} KiB RSS ` +
    `${open.heapPerStreamKib?.toFixed(1) ?? "–"} KiB heap, first chunk ${open.firstChunkMedianMs.toFixed(0)} ms ` +
    `(p99 ${open.firstChunkP99Ms.toFixed(0)} ms)`

/** (h)'s figures, each the median of the runs that have it. */
const openFigures = (list: ReadonlyArray<WorkerOutput>): OpenFigures | undefined => {
  const opens = list.flatMap((o) => o.open === undefined ? [] : [o.open])
  if (opens.length === 0) return undefined
  const of = (values: ReadonlyArray<number | undefined>) => {
    const present = values.filter((v): v is number => v !== undefined)
    return present.length === 0 ? undefined : median(present)
  }
  return {
    rssPerStreamKib: of(opens.map((o) => o.rssPerStreamKib)),
    heapPerStreamKib: of(opens.map((o) => o.heapPerStreamKib)),
    flowingRssPerStreamKib: of(opens.map((o) => o.flowingRssPerStreamKib)),
    firstChunkMedianMs: median(opens.map((o) => o.firstChunkMedianMs)),
    firstChunkP99Ms: median(opens.map((o) => o.firstChunkP99Ms))
  }
}

/** Cold start: each app in a fresh process, the apps alternating; as installed (ESM from node_modules), and bundled. */
export const COLD_APPS = [
  "node",
  "raw",
  "openai",
  "ours",
  "ours-deep",
  "ours-fetch",
  "effect",
  "effect-node"
] as const

/** The steps of ours' cold start, each timed on its own (`apps/timeline.ts`); medians of the cold runs. */
const runTimeline = async (baseUrl: string): Promise<Readonly<Record<string, number>>> => {
  const samples: Array<Record<string, number>> = []
  for (let run = 0; run < coldRuns; run++) {
    try {
      const result = await runNode(NodePath.join(here, "apps", "timeline.js"), [baseUrl])
      samples.push((JSON.parse(lastLine(result.stdout)) as { marks: Record<string, number> }).marks)
      passed++
    } catch (error) {
      problems.push(`timeline: ${(error as Error).message.trim()}`)
    }
  }
  const steps = samples.length === 0 ? [] : Object.keys(samples[0])
  return Object.fromEntries(steps.map((step) => [step, median(samples.map((s) => s[step]))]))
}

interface ColdApp {
  /** `app`, or `bundled:app`. */
  readonly id: string
  readonly script: string
}

const runColdStarts = async (
  baseUrl: string,
  bundled: ReadonlyArray<BundleFigures>
): Promise<ReadonlyArray<ColdFigures>> => {
  const apps: Array<ColdApp> = [
    ...COLD_APPS.map((app) => ({ id: app, script: NodePath.join(here, "apps", `${app}.js`) })),
    ...bundled.map((b) => ({ id: `bundled:${b.app}`, script: b.file }))
  ]
  const samples = new Map<
    string,
    Array<{ readonly answerMs: number; readonly wallMs: number; readonly rssMb: number }>
  >()
  for (let run = 0; run < coldRuns; run++) {
    for (const app of rotated(apps, run)) {
      try {
        const result = await runNode(app.script, [baseUrl])
        const line = JSON.parse(lastLine(result.stdout)) as { ms: number; rssMb: number; content: string }
        if (app.id !== "node" && line.content !== expectedCompletion.content) {
          problems.push(`cold ${app.id}: the content differs`)
          continue
        }
        samples.set(app.id, [
          ...(samples.get(app.id) ?? []),
          { answerMs: line.ms, wallMs: result.wallMs, rssMb: line.rssMb }
        ])
        passed++
      } catch (error) {
        problems.push(`cold ${app.id}: ${(error as Error).message.trim()}`)
      }
    }
  }
  // every app also runs its stream path once, to check the code (bundled or not) works end to end
  for (const app of apps) {
    if (app.id === "node") continue
    try {
      const result = await runNode(app.script, [baseUrl, "stream"])
      const line = JSON.parse(lastLine(result.stdout)) as { streamed?: string }
      if (line.streamed !== expectedStreamText) problems.push(`${app.id}: the streamed text differs`)
      else passed++
    } catch (error) {
      problems.push(`stream ${app.id}: ${(error as Error).message.trim()}`)
    }
  }
  return apps.flatMap((app) => {
    const list = samples.get(app.id) ?? []
    return list.length === 0 ? [] : [{
      app: app.id,
      runs: list.length,
      answerMs: median(list.map((s) => s.answerMs)),
      wallMs: median(list.map((s) => s.wallMs)),
      rssMb: median(list.map((s) => s.rssMb))
    }]
  })
}

const machine = () => {
  const cpus = NodeOs.cpus()
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGb: Math.round(NodeOs.totalmem() / 2 ** 30),
    node: process.version,
    os: `${NodeOs.type()} ${NodeOs.release()}`
  }
}

const resultsFile = NodePath.join(repoRoot, ".tmp", "bench-results.json")

const main = async () => {
  const rendered = option("--render", "")
  if (rendered !== "") {
    const text = render(JSON.parse(NodeFs.readFileSync(rendered, "utf8")) as Results)
    process.stdout.write(text)
    return
  }
  const started = performance.now()
  const { child, port } = await startMockServer()
  const options: DriverOptions = { baseUrl: `http://127.0.0.1:${port}/v1`, root: `http://127.0.0.1:${port}` }
  let figures: ReadonlyArray<Figures> = []
  let cold: ReadonlyArray<ColdFigures> = []
  let bundleFigures: ReadonlyArray<BundleFigures> = []
  let timeline: Readonly<Record<string, number>> = {}
  try {
    log(`mock server on 127.0.0.1:${port}; ${quick ? "quick form" : `${runs} runs, ${coldRuns} cold runs`}`)
    figures = await runWorkloads(options)
    const outDir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "tensormesh-bench-"))
    try {
      bundleFigures = await bundles(NodePath.join(here, "apps"), outDir)
      cold = await runColdStarts(options.baseUrl, bundleFigures)
      timeline = await runTimeline(options.baseUrl)
    } finally {
      NodeFs.rmSync(outDir, { recursive: true, force: true })
    }
  } finally {
    child.kill()
  }
  const results: Results = {
    date: new Date().toISOString().slice(0, 10),
    machine: machine(),
    quick,
    runs,
    rounds: measuredRounds(quick),
    coldRuns,
    figures,
    cold,
    timeline,
    bundles: bundleFigures,
    problems
  }
  NodeFs.mkdirSync(NodePath.dirname(resultsFile), { recursive: true })
  NodeFs.writeFileSync(resultsFile, JSON.stringify(results, null, 2))
  const text = render(results)
  process.stdout.write(`${text}\n`)
  if (!quick && problems.length === 0) {
    NodeFs.mkdirSync(NodePath.dirname(out), { recursive: true })
    NodeFs.writeFileSync(out, text)
    log(`written to ${NodePath.relative(repoRoot, out)}`)
  }
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  if (problems.length > 0) {
    log(`FAILED: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`)
    process.exitCode = 1
  }
  // every driver and app checked for what it received (figures are never asserted)
  process.stdout.write(`Bench: ${passed} passed, ${problems.length} failed\n`)
}

main().catch((error) => {
  log(error instanceof Error ? error.stack ?? error.message : String(error))
  process.exitCode = 1
})
