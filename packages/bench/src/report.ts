/**
 * The benchmark's results as Markdown: the table of medians with each figure's ratio to `raw` and to `openai`, the
 * targets, cold start and bundle size with their breakdown.
 */
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import * as NodeUrl from "node:url"
import type { BundleFigures } from "./bundle.js"
import type { DriverId } from "./worker.js"
import { type WorkloadId, workloads } from "./workloads.js"

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
  readonly wallMs: number
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
  readonly value: number | undefined
  readonly limit: number
  readonly shown: string
}

export const targets = (results: Results): ReadonlyArray<Target> => {
  const cpu = (w: WorkloadId, d: DriverId) => pick(results, w, d, "cpuPerUnitUs")
  const over = (a: number | undefined, b: number | undefined) => a === undefined || b === undefined ? undefined : a / b
  const cold = (app: string) => results.cold.find((c) => c.app === app)?.answerMs
  const gzip = (app: string) => results.bundles.find((b) => b.app === app)?.gzipBytes
  const cpuTarget = (w: WorkloadId, limit: number, text: string): Target => {
    const value = over(cpu(w, "ours"), cpu(w, "raw"))
    return { text, value, limit, shown: value === undefined ? "–" : `${value.toFixed(2)}× raw` }
  }
  const vsOpenai = (text: string, a: number | undefined, b: number | undefined, unit: string): Target => {
    const value = over(a, b)
    return { text, value, limit: 1, shown: `${fmt(a)} vs ${fmt(b)} ${unit} (${ratio(a, b)})` }
  }
  return [
    cpuTarget("chat1", 2, "CPU per request, one at a time ≤ 2× raw"),
    cpuTarget("chat64", 2, "CPU per request, 64 at a time ≤ 2× raw"),
    cpuTarget("stream1", 2, "CPU per chunk, one stream ≤ 2× raw"),
    cpuTarget("streams200", 2.5, "CPU per chunk, 200 concurrent streams ≤ 2.5× raw"),
    cpuTarget("tokenize", 1.3, "CPU per 200k-token tokenize ≤ 1.3× raw"),
    vsOpenai(
      "peak RSS at 200 concurrent streams ≤ openai",
      pick(results, "streams200", "ours", "peakRssMb"),
      pick(results, "streams200", "openai", "peakRssMb"),
      "MB"
    ),
    vsOpenai("cold start (first answer) ≤ openai", cold("ours"), cold("openai"), "ms"),
    vsOpenai(
      "bundle of a chat-only app (gzip) ≤ openai",
      gzip("ours-fetch"),
      gzip("openai"),
      "bytes"
    )
  ]
}

const coldLabels: Record<string, string> = {
  node: "empty Node process",
  raw: "raw (undici)",
  openai: "openai",
  ours: "ours (core + Node transport), imported as the README shows",
  "ours-subpath": "ours, importing `@tensormesh-effect/node/NodeTensormesh`",
  "ours-fetch": "ours (core + FetchHttpClient)",
  effect: "Effect alone (HttpClient + Schema + Stream, fetch)",
  "effect-node": "Effect alone (HttpClient + Schema + Stream, undici)"
}

const bundleLabels: Record<string, string> = {
  openai: "openai",
  "ours-fetch": "ours (core + FetchHttpClient)",
  ours: "ours (core + Node transport, undici bundled)",
  effect: "Effect alone (HttpClient + Schema + Stream, fetch)"
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
  out.push(
    `Method: a mock vLLM server in its own process on 127.0.0.1 answers from prebuilt bytes (SSE in 64 KiB writes). ` +
      `Each driver × workload runs in a fresh process: unmeasured warm-up rounds of the workload until the JIT has ` +
      `settled (the same count for every driver: ${
        workloads(results.quick).map((w) => `${w.warmup} for ${w.title.slice(0, 3)}`).join(", ")
      }), then ` +
      `${results.rounds} measured round(s), of which the median counts; figures are medians ` +
      `of ${results.runs} such process(es), the drivers alternating. CPU is the driver process's user + system time ` +
      `(\`process.cpuUsage\`, all threads, GC included) divided by the requests, content chunks or calls; peak RSS is ` +
      `the process's \`maxRSS\`. Every call is checked: each completion's content, each stream's chunk count and ` +
      `text length, each tokenize answer's token count and sum; a driver that drops data fails the run. Ours ` +
      `decodes every response with its schemas and reads streams through \`ChatStream.textDeltas\`.`
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
    figure("wall (ms)", "wallMs")
  }
  out.push(table(["workload", "figure", "raw", "openai", "ours", "ours ÷ raw", "ours ÷ openai", "openai ÷ raw"], rows))
  out.push("")
  if (!results.quick) out.push(...targetsSection(results))
  out.push("## Cold start (f)")
  out.push("")
  out.push(
    `A fresh process imports the client, builds it (for ours: the layer) and makes one chat completion; medians of ` +
      `${results.coldRuns} run(s). *First answer*: from process start to the decoded answer, as the process ` +
      `measures it (\`performance.now()\`); *process*: spawn to exit, as the parent measures it; *RSS* at the first ` +
      `answer. *As installed*: ESM modules from \`node_modules\`; *bundled*: the esbuild bundle of the same app ` +
      `(section (g)).`
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
  const extra = NodePath.join(NodePath.dirname(NodeUrl.fileURLToPath(import.meta.url)), "..", "..", "notes.md")
  if (NodeFs.existsSync(extra)) out.push("", NodeFs.readFileSync(extra, "utf8").trimEnd())
  return out
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
  line("ours over fetch: what the SDK adds to Effect alone over fetch", cold("effect"), cold("ours-fetch"))
  line(
    "ours, Node transport, subpath import: what the SDK adds to Effect alone over undici",
    cold("effect-node"),
    cold("ours-subpath")
  )
  line("ours, Node transport, package index import: the same", cold("effect-node"), cold("ours"))
  out.push(table(["cold start", "ms"], rows, "| --- | ---: |"))
  out.push("")
  const steps = Object.entries(results.timeline)
  if (steps.length > 0) {
    out.push("Ours step by step (`apps/timeline.ts`: each import on its own, in load order; medians):")
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
  const memory = (d: DriverId) => results.figures.find((f) => f.workload === "streams200" && f.driver === d)
  const mem = (["raw", "openai", "ours"] as const).map((d) => [d, memory(d)] as const)
  if (mem.every(([, f]) => f !== undefined)) {
    out.push("Memory at 200 concurrent streams (d): RSS once the client is loaded and built, and its peak:")
    out.push("")
    out.push(table(
      ["driver", "RSS after set-up (MB)", "peak RSS (MB)", "growth (MB)"],
      mem.map(([d, f]) => [d, fmt(f!.setupRssMb), fmt(f!.peakRssMb), fmt(f!.peakRssMb - f!.setupRssMb)]),
      "| --- | ---: | ---: | ---: |"
    ))
  }
  const extra = NodePath.join(NodePath.dirname(NodeUrl.fileURLToPath(import.meta.url)), "..", "..", "notes.md")
  if (NodeFs.existsSync(extra)) out.push("", NodeFs.readFileSync(extra, "utf8").trimEnd())
  return out
}

/** What the figures say about the targets that are not met, and how ours gets to the ones that are. */
const notes = (results: Results): Array<string> => {
  const cold = (app: string) => results.cold.find((c) => c.app === app)?.answerMs
  const bundle = (app: string) => results.bundles.find((b) => b.app === app)?.gzipBytes
  const fig = (w: WorkloadId, d: DriverId) => results.figures.find((f) => f.workload === w && f.driver === d)
  const step = (name: string) => results.timeline[name]
  const ours = fig("streams200", "ours")
  const openai = fig("streams200", "openai")
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
  if (ours !== undefined && openai !== undefined) {
    out.push(
      `- **Peak RSS.** During (d) ours grows by ${fmt(ours.peakRssMb - ours.setupRssMb)} MB and openai by ` +
        `${fmt(openai.peakRssMb - openai.setupRssMb)} MB, but ours starts from ${fmt(ours.setupRssMb)} MB once ` +
        `Effect, \`@effect/platform\`, undici and the SDK are loaded and the layer built, against ` +
        `${fmt(openai.setupRssMb)} MB for openai (an empty Node process: ${
          fmt(results.cold.find((c) => c.app === "node")?.rssMb)
        } MB). ` +
        `V8 sizes the old generation after the live heap, so the larger loaded code also lets garbage accumulate ` +
        `further between full collections.`
    )
  }
  out.push(
    `- **Cold start.** Loading \`effect\` alone takes ${fmt(step("effect"))} ms here, more than openai's whole ` +
      `first answer (${fmt(cold("openai"))} ms). The SDK's own part: ${fmt(step("@tensormesh-effect/core"))} ms ` +
      `for core, ${fmt(step("@tensormesh-effect/node/NodeTensormesh"))} ms for the Node layers, ` +
      `${fmt(step("building the layer"))} ms to build the layer; the rest of the package index of ` +
      `\`@tensormesh-effect/node\` adds ${fmt(step("@tensormesh-effect/node index (TmConfig)"))} ms (the local ` +
      `server, which needs \`@effect/platform-node/NodeHttpServer\`, has its own entry and is not loaded). Bundled, ` +
      `ours answers in ` +
      `${fmt(cold("bundled:ours"))} ms against ${fmt(cold("bundled:openai"))} ms for openai and ` +
      `${fmt(cold("bundled:effect"))} ms for Effect alone.`
  )
  out.push(
    `- **Bundle.** The Effect modules a chat app needs weigh ${kib(bundle("effect"))} gzipped, against ` +
      `${kib(bundle("openai"))} for the whole openai client; the SDK adds ` +
      `${kib((bundle("ours-fetch") ?? 0) - (bundle("effect") ?? 0))} (every namespace is built by the layer, so ` +
      `their schemas are all in).`
  )
  const extra = NodePath.join(NodePath.dirname(NodeUrl.fileURLToPath(import.meta.url)), "..", "..", "notes.md")
  if (NodeFs.existsSync(extra)) out.push("", NodeFs.readFileSync(extra, "utf8").trimEnd())
  return out
}
