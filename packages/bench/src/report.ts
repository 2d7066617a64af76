/**
 * The benchmark's results as Markdown: the table of medians with each figure's ratio to `raw` and to `openai`, the
 * targets of issue 18, the open streams of (h), cold start and bundle size with their breakdown.
 */
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import * as NodeUrl from "node:url"
import type { BundleFigures } from "./bundle.js"
import type { DriverId } from "./worker.js"
import { RSS_SAMPLE_MS, type WorkloadId, workloads } from "./workloads.js"

export interface Figures {
  readonly workload: WorkloadId
  readonly driver: DriverId
  readonly runs: number
  /** CPU (user + system) of the driver process per request, chunk or call, in µs. */
  readonly cpuPerUnitUs: number
  /** Requests, chunks or calls per second of wall time. */
  readonly throughput: number
  readonly peakRssMb: number
  /** RSS after loading the client and building it, before any request. */
  readonly setupRssMb: number
  /** RSS at the loaded baseline: the client loaded and built, the warm-up done, before the measured rounds. */
  readonly baselineRssMb: number
  /** The peak RSS of the measured rounds over the loaded baseline. */
  readonly peakGrowthMb: number
  readonly wallMs: number
  /** (h) only. */
  readonly open?: OpenFigures | undefined
}

/** (h): memory per open stream over the loaded baseline, and the time to first chunk across the streams. */
export interface OpenFigures {
  readonly rssPerStreamKib?: number | undefined
  readonly heapPerStreamKib?: number | undefined
  readonly flowingRssPerStreamKib?: number | undefined
  readonly firstChunkMedianMs: number
  readonly firstChunkP99Ms: number
}

export interface ColdFigures {
  readonly app: string
  readonly runs: number
  /** From process start to the first answer, as the process measures it (`performance.now()`). */
  readonly answerMs: number
  /** From spawn to exit, as the parent measures it. */
  readonly wallMs: number
  /** RSS at the first answer. */
  readonly rssMb: number
}

export interface Results {
  readonly date: string
  readonly machine: {
    readonly cpu: string
    readonly cores: number
    readonly memoryGb: number
    readonly node: string
    readonly os: string
  }
  readonly quick: boolean
  readonly runs: number
  readonly rounds: number
  readonly coldRuns: number
  readonly figures: ReadonlyArray<Figures>
  readonly cold: ReadonlyArray<ColdFigures>
  /** Ours' cold start step by step (ms), from `apps/timeline.ts`. */
  readonly timeline: Readonly<Record<string, number>>
  readonly bundles: ReadonlyArray<BundleFigures>
  readonly problems: ReadonlyArray<string>
}

const unitName = { request: "request", chunk: "chunk", call: "call" } as const

const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || !Number.isFinite(n)
    ? "–"
    : Math.abs(n) >= 10_000
    ? Math.round(n).toLocaleString("en-US")
    : Math.abs(n) >= 100
    ? n.toFixed(0)
    : n.toFixed(digits)

const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? "–" : `${(a / b).toFixed(2)}×`

const kb = (bytes: number | undefined) => bytes === undefined ? "–" : `${(bytes / 1024).toFixed(1)} KiB`

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, align?: string) => {
  const lines = [
    `| ${header.join(" | ")} |`,
    align ?? `|${header.map((_, i) => i < 2 ? " --- " : " ---: ").join("|")}|`
  ]
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`)
  return lines.join("\n")
}

/** One figure of one driver on one workload. */
const pick = (results: Results, workload: WorkloadId, driver: DriverId, figure: keyof Figures) => {
  const f = results.figures.find((x) => x.workload === workload && x.driver === driver)
  return f === undefined ? undefined : f[figure] as number
}

export interface Target {
  readonly text: string
  /** Met when `value <= limit`; undefined when a figure is missing. */
  readonly value: number | undefined
  readonly limit: number
  readonly shown: string
}

/** The targets of issue 18, each from figures of this run. */
export const targets = (results: Results): ReadonlyArray<Target> => {
  const cpu = (w: WorkloadId, d: DriverId) => pick(results, w, d, "cpuPerUnitUs")
  const growth = (w: WorkloadId, d: DriverId) => pick(results, w, d, "peakGrowthMb")
  const openOf = (d: DriverId) => results.figures.find((x) => x.workload === "slow1000" && x.driver === d)?.open
  const cold = (app: string) => results.cold.find((c) => c.app === app)?.answerMs
  const gzip = (app: string) => results.bundles.find((b) => b.app === app)?.gzipBytes
  const minus = (a: number | undefined, b: number | undefined) => a === undefined || b === undefined ? undefined : a - b
  const cpuTarget = (w: WorkloadId, limit: number, text: string): Target => {
    const ours = cpu(w, "ours")
    const raw = cpu(w, "raw")
    const value = ours === undefined || raw === undefined ? undefined : ours / raw
    return { text, value, limit, shown: value === undefined ? "–" : `${value.toFixed(2)}× raw` }
  }
  /** `ours ≤ other + slack`, shown with both figures and the difference. */
  const atMost = (text: string, ours: number | undefined, other: number | undefined, unit: string, slack = 0) => {
    const value = minus(ours, other)
    const sign = value !== undefined && value >= 0 ? "+" : ""
    return {
      text,
      value,
      limit: slack,
      shown: value === undefined ? "–" : `${fmt(ours)} vs ${fmt(other)} ${unit} (${sign}${fmt(value)} ${unit})`
    }
  }
  const kib = (bytes: number | undefined) => bytes === undefined ? undefined : bytes / 1024
  return [
    cpuTarget("chat1", 1.1, "(a) CPU per request, one at a time ≤ 1.1× raw"),
    cpuTarget("chat64", 1.1, "(b) CPU per request, 64 at a time ≤ 1.1× raw"),
    cpuTarget("stream1", 1.2, "(c) CPU per chunk, one stream ≤ 1.2× raw"),
    cpuTarget("streams200", 1.5, "(d) CPU per chunk, 200 concurrent streams ≤ 1.5× raw"),
    cpuTarget("tokenize", 1.1, "(e) CPU per 200k-token tokenize call ≤ 1.1× raw"),
    atMost(
      "cold start (first answer), ours with deep imports over the Node transport ≤ Effect alone over undici + 50 ms",
      cold("ours-deep"),
      cold("effect-node"),
      "ms",
      50
    ),
    atMost(
      "cold start (first answer), ours with deep imports over fetch ≤ Effect alone over fetch + 50 ms",
      cold("ours-fetch"),
      cold("effect"),
      "ms",
      50
    ),
    atMost(
      "(c) peak RSS growth over the loaded baseline ≤ openai's",
      growth("stream1", "ours"),
      growth("stream1", "openai"),
      "MB"
    ),
    atMost(
      "(d) peak RSS growth over the loaded baseline ≤ openai's",
      growth("streams200", "ours"),
      growth("streams200", "openai"),
      "MB"
    ),
    atMost(
      "(h) memory (RSS) per open stream ≤ openai's",
      openOf("ours")?.rssPerStreamKib,
      openOf("openai")?.rssPerStreamKib,
      "KiB"
    ),
    atMost("(h) CPU per chunk ≤ openai's", cpu("slow1000", "ours"), cpu("slow1000", "openai"), "µs"),
    atMost(
      "bundle of a chat-only app over fetch (gzip) ≤ Effect alone (HttpClient + Schema + Stream) + 20 KiB",
      kib(gzip("ours-fetch")),
      kib(gzip("effect")),
      "KiB",
      20
    )
  ]
}

const coldLabels: Record<string, string> = {
  node: "empty Node process",
  raw: "raw (undici)",
  openai: "openai",
  ours: "ours (core + Node transport), imported as the README shows (package indexes, `effect`)",
  "ours-deep": "ours (core + Node transport), deep imports",
  "ours-fetch": "ours (core + FetchHttpClient), deep imports",
  effect: "Effect alone (HttpClient + Schema + Stream, fetch), deep imports",
  "effect-node": "Effect alone (HttpClient + Schema + Stream, undici), deep imports"
}

const bundleLabels: Record<string, string> = {
  openai: "openai",
  "ours-fetch": "ours (core + FetchHttpClient), deep imports",
  "ours-deep": "ours (core + Node transport, undici bundled), deep imports",
  effect: "Effect alone (HttpClient + Schema + Stream, fetch), deep imports"
}

export const render = (results: Results): string => {
  const out: Array<string> = []
  const m = results.machine
  out.push("# Performance")
  out.push("")
  out.push(
    "Client cost of `@tensormesh-effect/core` with the Node transport of `@tensormesh-effect/node` (**ours**), next to " +
      "the floor (**raw**: undici `request`, `JSON.parse` and a minimal SSE line splitter) and the official " +
      "**openai** client (6.30.1, `maxRetries: 0`), all measured in one run of `pnpm bench` (`packages/bench`)."
  )
  out.push("")
  out.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GiB, Node ${m.node}, ${m.os}. Date: ${results.date}.` +
      (results.quick ? " **Quick form: figures are not meaningful.**" : "")
  )
  out.push("")
  const slow = workloads(results.quick).find((w) => w.id === "slow1000")
  out.push(
    `Method: a mock vLLM server in its own process on 127.0.0.1 answers from prebuilt bytes (SSE in 64 KiB writes). ` +
      `Each driver × workload runs in a fresh process: unmeasured warm-up rounds of the workload until the JIT has ` +
      `settled (the same count for every driver: ${
        workloads(results.quick).map((w) => `${w.warmup} for ${w.title.slice(0, 3)}`).join(", ")
      }), then ` +
      `${results.rounds} measured round(s) (${slow?.rounds ?? 1} for (h)), of which the median counts; figures are ` +
      `medians of ${results.runs} such process(es), the drivers alternating. CPU is the driver process's user + ` +
      `system time (\`process.cpuUsage\`, all threads, GC included) divided by the requests, content chunks or ` +
      `calls. Peak RSS is the process's \`maxRSS\`. *Peak RSS growth* is the peak RSS of the measured rounds minus ` +
      `the RSS at the loaded baseline (modules imported, client built, warm-up done, just before the measured ` +
      `rounds): the peak is \`maxRSS\` when it rose after the baseline (then it is exact), else the highest of the ` +
      `\`process.memoryUsage.rss()\` samples taken every ${RSS_SAMPLE_MS} ms during the rounds. Every call is checked: each ` +
      `completion's content, each stream's chunk count and text length, each tokenize answer's token count and sum; ` +
      `a driver that drops data fails the run. Ours decodes every response with its schemas and reads streams ` +
      `through \`ChatStream.textDeltas\`; its driver imports every module by its own path.`
  )
  out.push("")
  out.push("## Per request, per chunk, per call")
  out.push("")
  const rows: Array<Array<string>> = []
  for (const w of workloads(results.quick)) {
    const per = unitName[w.per]
    const cpuUnit = w.per === "call" ? "ms" : "µs"
    const scale = w.per === "call" ? 1 / 1000 : 1
    const figure = (name: string, key: keyof Figures, k = 1) => {
      const v = (d: DriverId) => {
        const x = pick(results, w.id, d, key)
        return x === undefined ? undefined : x * k
      }
      const [raw, openai, ours] = [v("raw"), v("openai"), v("ours")]
      rows.push([
        name === "cpu" ? w.title : "",
        name === "cpu" ? `CPU per ${per} (${cpuUnit})` : name,
        fmt(raw),
        fmt(openai),
        `**${fmt(ours)}**`,
        `**${ratio(ours, raw)}**`,
        ratio(ours, openai),
        ratio(openai, raw)
      ])
    }
    figure("cpu", "cpuPerUnitUs", scale)
    figure(`throughput (${per}s/s)`, "throughput")
    figure("peak RSS (MB)", "peakRssMb")
    figure("peak RSS growth over the loaded baseline (MB)", "peakGrowthMb")
    figure("wall (ms)", "wallMs")
  }
  out.push(table(["workload", "figure", "raw", "openai", "ours", "ours ÷ raw", "ours ÷ openai", "openai ÷ raw"], rows))
  out.push("")
  if (!results.quick) out.push(...targetsSection(results))
  out.push(...spanSection(results))
  out.push(...openStreamsSection(results))
  out.push("## Cold start (f)")
  out.push("")
  out.push(
    `A fresh process imports the client, builds it (for ours: the layer) and makes one chat completion; medians of ` +
      `${results.coldRuns} run(s). *First answer*: from process start to the decoded answer, as the process ` +
      `measures it (\`performance.now()\`); *process*: spawn to exit, as the parent measures it; *RSS* at the first ` +
      `answer. *As installed*: ESM modules from \`node_modules\`; *bundled*: the esbuild bundle of the same app ` +
      `(section (g)). *Deep imports*: every module by its own path (\`effect/Effect\`, \`effect/Schema\`, ` +
      `\`@effect/platform/HttpClient\`, \`@tensormesh-effect/core/Serverless\`, ` +
      `\`@tensormesh-effect/node/NodeTensormesh\`, ...), never a package index such as the \`effect\` barrel.`
  )
  out.push("")
  const cold = (app: string) => results.cold.find((c) => c.app === app)
  const openaiCold = cold("openai")
  const openaiBundled = cold("bundled:openai")
  out.push(table(
    ["app", "", "first answer (ms)", "process (ms)", "RSS (MB)", "÷ openai", "bundled: first answer (ms)", "÷ openai"],
    results.cold.filter((c) => !c.app.startsWith("bundled:")).map((c) => {
      const bundled = cold(`bundled:${c.app}`)
      return [
        coldLabels[c.app] ?? c.app,
        "",
        fmt(c.answerMs),
        fmt(c.wallMs),
        fmt(c.rssMb),
        ratio(c.answerMs, openaiCold?.answerMs),
        bundled === undefined ? "" : fmt(bundled.answerMs),
        bundled === undefined ? "" : ratio(bundled.answerMs, openaiBundled?.answerMs)
      ]
    })
  ))
  out.push("")
  out.push("## Bundle (g)")
  out.push("")
  out.push(
    "A chat-only app (one completion and one stream, `packages/bench/src/apps`) bundled with esbuild " +
      "(`--bundle --minify`, platform node, ESM), then gzip -9."
  )
  out.push("")
  const openaiBundle = results.bundles.find((b) => b.app === "openai")
  out.push(table(
    ["app", "", "minified", "gzip", "gzip ÷ openai"],
    results.bundles.map((b) => [
      bundleLabels[b.app] ?? b.app,
      "",
      kb(b.minifiedBytes),
      kb(b.gzipBytes),
      ratio(b.gzipBytes, openaiBundle?.gzipBytes)
    ])
  ))
  out.push("")
  out.push(...breakdown(results))
  if (!results.quick) out.push(...notes(results))
  const extra = NodePath.join(NodePath.dirname(NodeUrl.fileURLToPath(import.meta.url)), "..", "..", "notes.md")
  if (NodeFs.existsSync(extra)) out.push("", NodeFs.readFileSync(extra, "utf8").trimEnd())
  if (results.problems.length > 0) {
    out.push("")
    out.push("## Problems")
    out.push("")
    for (const p of results.problems) out.push(`- ${p}`)
  }
  return out.join("\n") + "\n"
}

const targetsSection = (results: Results): Array<string> => {
  const out: Array<string> = []
  out.push("## Targets")
  out.push("")
  out.push(table(
    ["target", "measured", "met"],
    targets(results).map((t) => [
      t.text,
      t.shown,
      t.value === undefined ? "–" : t.value <= t.limit ? "yes" : "**no**"
    ]),
    "| --- | --- | --- |"
  ))
  out.push("")
  return out
}

/**
 * What each call's client span costs under Effect's built-in tracer: ours as usual, and the same program with the
 * tracer disabled (`Layer.setTracerEnabled(false)`), CPU per unit, in the same run.
 */
const spanSection = (results: Results): Array<string> => {
  const cpu = (w: WorkloadId, d: DriverId) => pick(results, w, d, "cpuPerUnitUs")
  const rows = workloads(results.quick).flatMap((w) => {
    const [raw, ours, untraced] = [cpu(w.id, "raw"), cpu(w.id, "ours"), cpu(w.id, "ours-untraced")]
    if (raw === undefined || ours === undefined || untraced === undefined) return []
    const scale = w.per === "call" ? 1 / 1000 : 1
    return [[
      w.title,
      `${fmt(ours * scale)} ${w.per === "call" ? "ms" : "µs"}`,
      ratio(ours, raw),
      `${fmt(untraced * scale)} ${w.per === "call" ? "ms" : "µs"}`,
      ratio(untraced, raw),
      ratio(ours, untraced)
    ]]
  })
  if (rows.length === 0) return []
  return [
    "## The client span",
    "",
    "Every call and stream has a client span (`Effect.makeSpan`, kind `client`). Under Effect's built-in tracer, " +
    "which exports nothing, the span is still made: a `NativeSpan` with a `Map` of attributes and, for a call " +
    "without a parent span, a 32-character trace id and a 16-character span id drawn one `Math.random` per " +
    "character. **ours, tracer off** is the same program with Effect's own switch " +
    "(`Layer.setTracerEnabled(false)`): each span is then Effect's no-op span; the metrics stay. The difference " +
    "is what the span costs (CPU per unit, medians, this run):",
    "",
    table(["workload", "ours", "ours ÷ raw", "ours, tracer off", "tracer off ÷ raw", "ours ÷ tracer off"], rows),
    ""
  ]
}

/** (h): memory per open stream, CPU per chunk and time to first chunk, per driver. */
const openStreamsSection = (results: Results): Array<string> => {
  const w = workloads(results.quick).find((x) => x.id === "slow1000")
  const rows = (["raw", "openai", "ours"] as const).flatMap((d) => {
    const f = results.figures.find((x) => x.workload === "slow1000" && x.driver === d)
    return f === undefined ? [] : [[
      d === "ours" ? "**ours**" : d,
      fmt(f.open?.rssPerStreamKib),
      fmt(f.open?.heapPerStreamKib),
      fmt(f.open?.flowingRssPerStreamKib),
      fmt(f.cpuPerUnitUs),
      fmt(f.open?.firstChunkMedianMs),
      fmt(f.open?.firstChunkP99Ms),
      fmt(f.baselineRssMb),
      fmt(f.wallMs)
    ]]
  })
  if (w?.slow === undefined || rows.length === 0) return []
  const { paceMs, warm } = w.slow
  const streams = w.calls.toLocaleString("en-US")
  return [
    `## Open streams (h)`,
    "",
    `${w.title}. The server writes each stream's first content chunk with the headers, then one content chunk every ` +
    `${paceMs} ms to every open stream from one shared interval. The client opens the ${streams} streams at once, ` +
    `one connection each (ours is given \`connections: ${w.slow.connections}\`, its default being 256 per origin; ` +
    `raw's undici \`Agent\` and openai's global \`fetch\` have no limit), after a warm-up of ${warm.streams} ` +
    `streams of ${warm.chunks} chunks (so ${warm.streams} pooled connections are in the baseline); one measured ` +
    `round per process. The memory is measured when every stream has had its first content chunk and none has ` +
    `ended (RSS sampled every ${RSS_SAMPLE_MS} ms), against the loaded baseline (RSS after imports, client built and warm-up, ` +
    `before the streams open), both just after a full GC (\`--expose-gc\`; at the baseline four, 20 ms apart, so ` +
    `that V8 has dropped the bytecode of code run once, as it does after a few full GCs), so that what the open ` +
    `streams keep is not mixed with the garbage of the moment. *RSS per open stream*: RSS after that GC minus RSS ` +
    `at the baseline, ÷ ${streams}; *heap per open stream*: the same with the heap in use; *no GC*: the median of ` +
    `the RSS samples while all are open, over the baseline. The GC's own CPU time is left out of the CPU. ` +
    `*CPU per chunk*: the round's CPU ` +
    `÷ the ${(w.chunks ?? 0).toLocaleString("en-US")} content chunks. *First chunk*: from the driver's call (just ` +
    `before the request is sent) to the first content chunk reaching the code that consumes the stream; median ` +
    `and p99 (nearest rank) across the streams.`,
    "",
    table(
      [
        "driver",
        "RSS per open stream (KiB)",
        "heap per open stream (KiB)",
        "RSS per open stream, no GC (KiB)",
        "CPU per chunk (µs)",
        "first chunk, median (ms)",
        "first chunk, p99 (ms)",
        "baseline RSS (MB)",
        "wall (ms)"
      ],
      rows,
      `| --- |${" ---: |".repeat(8)}`
    ),
    ""
  ]
}

const breakdown = (results: Results): Array<string> => {
  const out: Array<string> = []
  const cold = (app: string) => results.cold.find((c) => c.app === app)?.answerMs
  const bundle = (app: string) => results.bundles.find((b) => b.app === app)
  out.push("### What Effect costs, and what the SDK adds")
  out.push("")
  out.push("Cold start, as installed (first answer, medians):")
  out.push("")
  const node = cold("node")
  const rows: Array<Array<string>> = []
  const line = (what: string, base: number | undefined, value: number | undefined) =>
    rows.push([
      what,
      value === undefined || base === undefined ? "–" : `${fmt(value - base)} ms`
    ])
  line("Node start-up (empty process)", 0, node)
  line("openai: import, client, one call (over Node start-up)", node, cold("openai"))
  line("Effect alone over fetch: import, layer, one call (over Node start-up)", node, cold("effect"))
  line("Effect alone over undici (over Node start-up)", node, cold("effect-node"))
  line(
    "ours over fetch, deep imports: what the SDK adds to Effect alone over fetch",
    cold("effect"),
    cold("ours-fetch")
  )
  line(
    "ours, Node transport, deep imports: what the SDK adds to Effect alone over undici",
    cold("effect-node"),
    cold("ours-deep")
  )
  line(
    "ours, Node transport, package indexes as the README shows: what they add to deep imports",
    cold("ours-deep"),
    cold("ours")
  )
  out.push(table(["cold start", "ms"], rows, "| --- | ---: |"))
  out.push("")
  const steps = Object.entries(results.timeline)
  if (steps.length > 0) {
    out.push(
      "Ours step by step (`apps/timeline.ts`: the app of `ours-deep`, each import on its own, in load order; medians):"
    )
    out.push("")
    out.push(table(["step", "ms"], steps.map(([step, ms]) => [step, fmt(ms)]), "| --- | ---: |"))
    out.push("")
  }
  const effect = bundle("effect")
  const ours = bundle("ours-fetch")
  const openai = bundle("openai")
  if (effect !== undefined && ours !== undefined) {
    out.push("Bundle:")
    out.push("")
    out.push(table(
      ["bundle (gzip)", "bytes"],
      [
        ["openai", fmt(openai?.gzipBytes)],
        ["Effect alone (the Effect modules the SDK uses, over fetch)", fmt(effect.gzipBytes)],
        ["ours over fetch", fmt(ours.gzipBytes)],
        ["what the SDK adds to Effect alone", fmt(ours.gzipBytes - effect.gzipBytes)]
      ],
      "| --- | ---: |"
    ))
    out.push("")
    const packages = [...new Set([...Object.keys(ours.byPackage), ...Object.keys(effect.byPackage)])]
      .sort((a, b) => (ours.byPackage[b] ?? 0) - (ours.byPackage[a] ?? 0))
    out.push(table(
      ["package (minified bytes)", "Effect alone", "ours over fetch"],
      packages.map((p) => [p, fmt(effect.byPackage[p] ?? 0), fmt(ours.byPackage[p] ?? 0)]),
      "| --- | ---: | ---: |"
    ))
    out.push("")
  }
  const memoryRows = (["stream1", "streams200"] as const).flatMap((w) =>
    (["raw", "openai", "ours"] as const).flatMap((d) => {
      const f = results.figures.find((x) => x.workload === w && x.driver === d)
      return f === undefined ? [] : [[
        d === "raw" ? workloads(results.quick).find((x) => x.id === w)?.title ?? w : "",
        d,
        fmt(f.setupRssMb),
        fmt(f.baselineRssMb),
        fmt(f.peakRssMb),
        fmt(f.peakGrowthMb)
      ]]
    })
  )
  if (memoryRows.length > 0) {
    out.push(
      "Memory of the streams (c) and (d): RSS once the client is loaded and built, at the loaded baseline (after " +
        "the warm-up), the process's peak, and the peak of the measured rounds over the baseline:"
    )
    out.push("")
    out.push(table(
      ["workload", "driver", "RSS after set-up (MB)", "baseline RSS (MB)", "peak RSS (MB)", "peak growth (MB)"],
      memoryRows
    ))
  }
  return out
}

/** What the figures say about the targets that are not met, and how ours gets to the ones that are. */
const notes = (results: Results): Array<string> => {
  const cold = (app: string) => results.cold.find((c) => c.app === app)?.answerMs
  const bundle = (app: string) => results.bundles.find((b) => b.app === app)?.gzipBytes
  const fig = (w: WorkloadId, d: DriverId) => results.figures.find((f) => f.workload === w && f.driver === d)
  const step = (name: string) => results.timeline[name]
  const kib = (bytes: number | undefined) => bytes === undefined ? "–" : `${(bytes / 1024).toFixed(0)} KiB`
  const out: Array<string> = []
  out.push("")
  out.push("## Notes")
  out.push("")
  out.push(
    "- **How ours gets its CPU figures.** One pipeline over the `Transport` seam: the Node transport is undici " +
      "`dispatch` with a small handler (no `HttpClient` request/response objects, URL parsing or Node stream per " +
      "request); timeouts are one timer per exchange on the Clock's scheduler, aborting through a light signal (an " +
      "`Effect.timeout` race costs ~50 µs, an `AbortController` ~3% of a call). Requests and responses are checked " +
      "by predicates compiled once from the schemas (generated code where the runtime allows it; elsewhere `Schema` " +
      "decides every value), `Schema` deciding whenever they say no, so errors are unchanged. A stream is one channel " +
      "from the transport's body to the values (SSE parsing, JSON, checks, a chunk per network read); `textDeltas` " +
      "allocates no piece per delta. Every call has its client span, under Effect's built-in tracer too."
  )
  const growth = (["stream1", "streams200"] as const).map((w) => [w, fig(w, "ours"), fig(w, "openai")] as const)
  if (growth.every(([, ours, openai]) => ours !== undefined && openai !== undefined)) {
    out.push(
      `- **Memory.** Over the loaded baseline, ours' peak RSS grows by ${
        growth.map(([w, ours, openai]) =>
          `${fmt(ours!.peakGrowthMb)} MB at ${w === "stream1" ? "(c)" : "(d)"} (openai ${fmt(openai!.peakGrowthMb)} MB)`
        ).join(" and ")
      }; the baselines themselves are ${
        growth.map(([w, ours, openai]) =>
          `${fmt(ours!.baselineRssMb)} and ${fmt(openai!.baselineRssMb)} MB at ${w === "stream1" ? "(c)" : "(d)"}`
        ).join(", ")
      } (an empty Node process: ${fmt(results.cold.find((c) => c.app === "node")?.rssMb)} MB). V8 sizes the old ` +
        `generation after the live heap, so a larger loaded baseline also lets garbage accumulate further between ` +
        `full collections.`
    )
  }
  out.push(
    `- **Cold start.** With deep imports, the Effect modules the app names take ${
      fmt(step("effect (Effect, ManagedRuntime, Redacted, Stream)"))
    } ms to load, \`@effect/platform\`'s HttpClient ${fmt(step("@effect/platform (HttpClient)"))} ms and the ` +
      `undici client ${fmt(step("@effect/platform-node (undici client, undici)"))} ms. The SDK's own part: ` +
      `${fmt(step("@tensormesh-effect/core (Serverless, ChatStream)"))} ms for core, ` +
      `${fmt(step("@tensormesh-effect/node/NodeTensormesh"))} ms for the Node layers (with what they load), ` +
      `${fmt(step("building the layer"))} ms to build the layer, ${fmt(step("the first call"))} ms for the first ` +
      `call. Imported as the README shows (package indexes and the \`effect\` barrel), ours answers in ` +
      `${fmt(cold("ours"))} ms against ${fmt(cold("ours-deep"))} ms with deep imports. Bundled, ours answers in ` +
      `${fmt(cold("bundled:ours-deep"))} ms against ${fmt(cold("bundled:openai"))} ms for openai and ` +
      `${fmt(cold("bundled:effect"))} ms for Effect alone.`
  )
  out.push(
    `- **Bundle.** The Effect modules a chat app needs weigh ${kib(bundle("effect"))} gzipped, against ` +
      `${kib(bundle("openai"))} for the whole openai client; the SDK adds ` +
      `${kib((bundle("ours-fetch") ?? 0) - (bundle("effect") ?? 0))} (every namespace is built by the layer, so ` +
      `their schemas are all in).`
  )
  return out
}
