/**
 * One driver running one workload, in a process of its own: `node --expose-gc worker.js '<json>'`. Prints one JSON
 * line with the client CPU (`process.cpuUsage`) and wall time of the median measured round, the memory of the
 * process (its peak, and the growth of its peak over the loaded baseline), what was received and, at (h), the memory
 * per open stream and the times to first chunk.
 */
import type { Driver, DriverOptions, StreamWatch, Tally } from "./drivers/Driver.js"
import { roundsOf, RSS_SAMPLE_MS, type Workload, workloads } from "./workloads.js"

export type DriverId = "raw" | "openai" | "ours" | "ours-untraced"

export interface WorkerInput {
  readonly driver: DriverId
  readonly workload: string
  readonly quick: boolean
  readonly options: DriverOptions
}

/**
 * (h): what the open streams cost, and how long each took to its first content chunk. The memory figures compare
 * the moment every stream is open with the loaded baseline, both just after a full GC (`--expose-gc`): what the open
 * streams keep, not the garbage of the moment; the samples without a GC are reported beside.
 */
export interface OpenStreamFigures {
  /** RSS after a full GC once every stream was open, over the same at the baseline, per stream. */
  readonly rssPerStreamKib?: number | undefined
  /** The heap in use after that GC, over the same at the baseline, per stream. */
  readonly heapPerStreamKib?: number | undefined
  /** The median of the RSS samples (no GC) while every stream was open, over the baseline after its GC, per stream. */
  readonly flowingRssPerStreamKib?: number | undefined
  /** RSS samples taken while every stream was open (none: no moment had them all open, and no memory figure). */
  readonly samples: number
  readonly firstChunkMedianMs: number
  readonly firstChunkP99Ms: number
}

export interface WorkerOutput {
  readonly cpuUs: number
  readonly wallMs: number
  /** The process's `maxRSS` (its whole life). */
  readonly peakRssKb: number
  /** RSS once the driver is set up (modules loaded, client built), before any request. */
  readonly setupRssKb: number
  /** RSS at the loaded baseline: modules loaded, client built and the warm-up done, just before the measured rounds. */
  readonly baselineRssKb: number
  /** The peak RSS of the measured rounds over the baseline. */
  readonly peakGrowthKb: number
  readonly open?: OpenStreamFigures | undefined
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
    case "ours-untraced":
      return (await import("./drivers/ours.js")).make(options, false)
  }
}

/** (h) talks to the paced route of the mock server and states how many connections the client must allow. */
const optionsFor = (workload: Workload, options: DriverOptions): DriverOptions =>
  workload.slow === undefined ? options : {
    ...options,
    baseUrl: `${options.root}/paced/${workload.slow.paceMs}/v1`,
    connections: workload.slow.connections
  }

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[values.length >> 1]

const rssKb = () => process.memoryUsage.rss() / 1024

interface Settled {
  readonly rssKb: number
  readonly heapBytes: number
  /** The GC's own CPU time. */
  readonly cpuUs: number
}

/** A full GC (`--expose-gc`), then RSS and the heap in use: what is live. */
const settled = (): Settled | undefined => {
  if (globalThis.gc === undefined) return undefined
  const cpu = process.cpuUsage()
  globalThis.gc()
  const { heapUsed, rss } = process.memoryUsage()
  const used = process.cpuUsage(cpu)
  return { rssKb: rss / 1024, heapBytes: heapUsed, cpuUs: used.user + used.system }
}

/** (h): one round's streams, told to the worker by the driver, and the memory samples taken while all are open. */
class OpenStreams implements StreamWatch {
  readonly firstChunkMs: Array<number> = []
  /** RSS samples (KiB) taken while every stream was open. */
  readonly rssKb: Array<number> = []
  /** Memory after a full GC at the first of those samples; that GC's CPU time is left out of the round's. */
  open: Settled | undefined
  private ended = 0

  constructor(readonly count: number) {}

  opening(): number {
    return performance.now()
  }

  first(openedAt: number): void {
    this.firstChunkMs.push(performance.now() - openedAt)
  }

  closed(): void {
    this.ended++
  }

  /** Every stream has had its first content chunk and none has ended. */
  get allOpen(): boolean {
    return this.firstChunkMs.length === this.count && this.ended === 0
  }

  get gcCpuUs(): number {
    return this.open?.cpuUs ?? 0
  }

  sample(rss: number): void {
    if (!this.allOpen) return
    this.rssKb.push(rss)
    this.open ??= settled()
  }

  figures(baseline: Settled | undefined): OpenStreamFigures {
    const firsts = [...this.firstChunkMs].sort((a, b) => a - b)
    const { count, open } = this
    const per = (bytes: number) => bytes / 1024 / count
    return {
      rssPerStreamKib: open === undefined || baseline === undefined ? undefined : (open.rssKb - baseline.rssKb) / count,
      heapPerStreamKib: open === undefined || baseline === undefined
        ? undefined
        : per(open.heapBytes - baseline.heapBytes),
      flowingRssPerStreamKib: this.rssKb.length === 0 || baseline === undefined
        ? undefined
        : (median(this.rssKb) - baseline.rssKb) / count,
      samples: this.rssKb.length,
      firstChunkMedianMs: median(firsts),
      // nearest rank
      firstChunkP99Ms: firsts[Math.max(0, Math.ceil(firsts.length * 0.99) - 1)]
    }
  }
}

/** RSS every `RSS_SAMPLE_MS` during the measured rounds: its peak, and at (h) the samples of the open streams. */
class Sampler {
  peakKb = 0
  watch: OpenStreams | undefined
  private readonly timer = setInterval(() => this.sample(), RSS_SAMPLE_MS).unref()

  sample(): void {
    const rss = rssKb()
    if (rss > this.peakKb) this.peakKb = rss
    this.watch?.sample(rss)
  }

  stop(): void {
    clearInterval(this.timer)
  }
}

/**
 * The baseline of (h) after a few full GCs, a short pause after each: each full GC ages the bytecode of functions not
 * run since the last one and V8 drops it after a few, and the loading and warm-up leave much that has run once; with
 * that dropped before the baseline, the open streams are not measured against memory that goes away by itself.
 */
const settledBaseline = async (): Promise<Settled | undefined> => {
  let last: Settled | undefined
  for (let i = 0; i < 4; i++) {
    last = settled()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return last === undefined ? undefined : { ...last, rssKb: rssKb() }
}

const main = async () => {
  const input = JSON.parse(process.argv[2]) as WorkerInput
  const workload = workloads(input.quick).find((w) => w.id === input.workload)
  if (workload === undefined) throw new Error(`unknown workload ${input.workload}`)
  const driver = await makeDriver(input.driver, optionsFor(workload, input.options))
  const setupRssKb = rssKb()
  for (let i = 0; i < workload.warmup; i++) {
    const warm = await (workload.warm ?? workload.run)(driver)
    if (warm.problems.length > 0) throw new Error(`warm-up: ${warm.problems.join("; ")}`)
  }
  const baselineRssKb = rssKb()
  const baselineMaxRssKb = process.resourceUsage().maxRSS
  // (h): the same moment after full GCs, to compare with the open streams after one
  const baselineSettled = workload.slow === undefined ? undefined : await settledBaseline()
  const sampler = new Sampler()
  const measured: Array<{ readonly cpuUs: number; readonly wallMs: number; readonly tally: Tally }> = []
  let open: OpenStreamFigures | undefined
  for (let i = 0; i < roundsOf(workload, input.quick); i++) {
    const watch = workload.slow === undefined ? undefined : new OpenStreams(workload.calls)
    sampler.watch = watch
    const cpu = process.cpuUsage()
    const start = performance.now()
    const tally = await workload.run(driver, watch)
    const wallMs = performance.now() - start
    const used = process.cpuUsage(cpu)
    sampler.sample()
    measured.push({ cpuUs: used.user + used.system - (watch?.gcCpuUs ?? 0), wallMs, tally })
    open ??= watch?.figures(baselineSettled)
  }
  sampler.stop()
  const peakRssKb = process.resourceUsage().maxRSS
  // `maxRSS` is the peak of the whole life: when it rose after the baseline, it rose during the measured rounds and
  // is their exact peak; when it did not, their peak stayed below an earlier one and only the samples saw it
  const peakDuringKb = peakRssKb > baselineMaxRssKb ? Math.max(peakRssKb, sampler.peakKb) : sampler.peakKb
  await driver.close()
  // every round must have received everything; the figures are the median round's
  const failed = measured.find((m) => m.tally.problems.length > 0 || m.tally.ok !== workload.calls)
  const output: WorkerOutput = {
    cpuUs: median(measured.map((m) => m.cpuUs)),
    wallMs: median(measured.map((m) => m.wallMs)),
    peakRssKb,
    setupRssKb,
    baselineRssKb,
    peakGrowthKb: peakDuringKb - baselineRssKb,
    open,
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
