/**
 * The workloads, in their full and quick forms, and how a driver runs one.
 */
import type { Driver, StreamWatch, Tally } from "./drivers/Driver.js"

export type WorkloadId = "chat1" | "chat64" | "stream1" | "streams200" | "tokenize" | "slow1000"

export interface Workload {
  readonly id: WorkloadId
  readonly title: string
  /** What CPU is divided by. */
  readonly per: "request" | "chunk" | "call"
  /** Calls (requests, streams, tokenize calls) that must succeed. */
  readonly calls: number
  /** Content chunks the calls must receive in all (streams only). */
  readonly chunks?: number
  readonly run: (driver: Driver, watch?: StreamWatch) => Promise<Tally>
  /**
   * Unmeasured rounds first, until the JIT has settled (the first thousands of requests or chunks cost several
   * times the steady state): the same for every driver.
   */
  readonly warmup: number
  /** What a warm-up round runs, when not `run` itself. */
  readonly warm?: (driver: Driver) => Promise<Tally>
  /** Measured rounds, when not `measuredRounds`. */
  readonly rounds?: number
  /**
   * Slow streams (h): the server writes one content chunk every `paceMs` ms, the client allows one connection per
   * stream, and the worker measures the memory of the open streams and each stream's time to first chunk.
   */
  readonly slow?: {
    readonly paceMs: number
    readonly connections: number
    /** Of the warm-up round. */
    readonly warm: { readonly streams: number; readonly chunks: number }
  }
}

/**
 * How often the worker samples RSS during the measured rounds (for the peak when `maxRSS` does not see it, and for
 * (h)): each sample wakes an idle process, about 0.15 ms of CPU here, so no more often than needed.
 */
export const RSS_SAMPLE_MS = 50

/** Measured rounds per process, of which the median counts. */
export const measuredRounds = (quick: boolean): number => quick ? 1 : 3

/** The measured rounds of one workload. */
export const roundsOf = (workload: Workload, quick: boolean): number => workload.rounds ?? measuredRounds(quick)

const chat = (id: WorkloadId, title: string, n: number, concurrency: number, warmup: number): Workload => ({
  id,
  title,
  per: "request",
  calls: n,
  run: (d) => d.chat(n, concurrency),
  warmup
})

const streams = (id: WorkloadId, title: string, count: number, chunks: number, warmup: number): Workload => ({
  id,
  title,
  per: "chunk",
  calls: count,
  chunks: count * chunks,
  run: (d) => d.streams(count, chunks),
  warmup
})

const tokenize = (n: number, warmup: number): Workload => ({
  id: "tokenize",
  title: `(e) ${n} tokenize calls of 200,000 tokens`,
  per: "call",
  calls: n,
  run: (d) => d.tokenize(n),
  warmup
})

/**
 * (h): `count` streams opened at once, each `chunks` content chunks paced `paceMs` apart, so that they are all open
 * together for most of the round. One measured round per process: the memory of the open streams is measured over
 * the baseline before the first round, and a second round would reuse the first one's pooled connections. The
 * warm-up is a few streams, so that few pooled connections are in the baseline.
 */
const slowStreams = (
  count: number,
  chunks: number,
  paceMs: number,
  warm: { readonly streams: number; readonly chunks: number }
): Workload => ({
  id: "slow1000",
  title: `(h) ${count.toLocaleString("en-US")} concurrent slow streams of ${chunks} chunks, one every ${paceMs} ms`,
  per: "chunk",
  calls: count,
  chunks: count * chunks,
  run: (d, watch) => d.streams(count, chunks, watch),
  warmup: 1,
  warm: (d) => d.streams(warm.streams, warm.chunks),
  rounds: 1,
  slow: { paceMs, connections: count, warm }
})

export const workloads = (quick: boolean): ReadonlyArray<Workload> =>
  quick
    ? [
      chat("chat1", "(a) 40 chat completions, one at a time", 40, 1, 1),
      chat("chat64", "(b) 200 chat completions, 16 at a time", 200, 16, 1),
      streams("stream1", "(c) one stream of 500 chunks", 1, 500, 1),
      streams("streams200", "(d) 10 concurrent streams of 50 chunks", 10, 50, 1),
      tokenize(2, 1),
      slowStreams(50, 10, 50, { streams: 5, chunks: 5 })
    ]
    : [
      chat("chat1", "(a) 2,000 chat completions, one at a time", 2000, 1, 3),
      chat("chat64", "(b) 5,000 chat completions, 64 at a time", 5000, 64, 2),
      streams("stream1", "(c) one stream of 20,000 chunks", 1, 20_000, 10),
      streams("streams200", "(d) 200 concurrent streams of 500 chunks", 200, 500, 4),
      tokenize(20, 3),
      slowStreams(1000, 50, 100, { streams: 20, chunks: 20 })
    ]
