/**
 * One driver running one workload, in a process of its own: `node worker.js '<json>'`. Prints one JSON line with
 * the client CPU (`process.cpuUsage`) and wall time of the median measured round, the peak RSS of the process, and
 * what was received.
 */
import type { Driver, DriverOptions, Tally } from "./drivers/Driver.js"
import { measuredRounds, workloads } from "./workloads.js"

export type DriverId = "raw" | "openai" | "ours"

export interface WorkerInput {
  readonly driver: DriverId
  readonly workload: string
  readonly quick: boolean
  readonly options: DriverOptions
}

export interface WorkerOutput {
  readonly cpuUs: number
  readonly wallMs: number
  readonly peakRssKb: number
  /** RSS once the driver is set up (modules loaded, client built), before any request. */
  readonly setupRssKb: number
  readonly tally: Tally
}

const makeDriver = async (id: DriverId, options: DriverOptions): Promise<Driver> => {
  switch (id) {
    case "raw":
      return (await import("./drivers/raw.js")).make(options)
    case "openai":
      return (await import("./drivers/openai.js")).make(options)
    case "ours":
      return (await import("./drivers/ours.js")).make(options)
  }
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[values.length >> 1]

const main = async () => {
  const input = JSON.parse(process.argv[2]) as WorkerInput
  const workload = workloads(input.quick).find((w) => w.id === input.workload)
  if (workload === undefined) throw new Error(`unknown workload ${input.workload}`)
  const driver = await makeDriver(input.driver, input.options)
  const setupRssKb = process.memoryUsage.rss() / 1024
  for (let i = 0; i < workload.warmup; i++) {
    const warm = await workload.run(driver)
    if (warm.problems.length > 0) throw new Error(`warm-up: ${warm.problems.join("; ")}`)
  }
  const measured: Array<{ readonly cpuUs: number; readonly wallMs: number; readonly tally: Tally }> = []
  for (let i = 0; i < measuredRounds(input.quick); i++) {
    const cpu = process.cpuUsage()
    const start = performance.now()
    const tally = await workload.run(driver)
    const wallMs = performance.now() - start
    const used = process.cpuUsage(cpu)
    measured.push({ cpuUs: used.user + used.system, wallMs, tally })
  }
  const peakRssKb = process.resourceUsage().maxRSS
  await driver.close()
  // every round must have received everything; the figures are the median round's
  const failed = measured.find((m) => m.tally.problems.length > 0 || m.tally.ok !== workload.calls)
  const output: WorkerOutput = {
    cpuUs: median(measured.map((m) => m.cpuUs)),
    wallMs: median(measured.map((m) => m.wallMs)),
    peakRssKb,
    setupRssKb,
    tally: failed?.tally ?? measured[0].tally
  }
  process.stdout.write(`${JSON.stringify(output)}\n`)
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
    process.exit(1)
  }
)
