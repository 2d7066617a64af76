/**
 * The workloads, in their full and quick forms, and how a driver runs one.
 */
import type { Driver, Tally } from "./drivers/Driver.js"

export type WorkloadId = "chat1" | "chat64" | "stream1" | "streams200" | "tokenize"

export interface Workload {
  readonly id: WorkloadId
  readonly title: string
  /** What CPU is divided by. */
  readonly per: "request" | "chunk" | "call"
  /** Calls (requests, streams, tokenize calls) that must succeed. */
  readonly calls: number
  readonly run: (driver: Driver) => Promise<Tally>
  /**
   * Unmeasured rounds first, until the JIT has settled (the first thousands of requests or chunks cost several
   * times the steady state): the same for every driver.
   */
  readonly warmup: number
}

/** Measured rounds per process, of which the median counts. */
export const measuredRounds = (quick: boolean): number => quick ? 1 : 3

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

export const workloads = (quick: boolean): ReadonlyArray<Workload> =>
  quick
    ? [
      chat("chat1", "(a) 40 chat completions, one at a time", 40, 1, 1),
      chat("chat64", "(b) 200 chat completions, 16 at a time", 200, 16, 1),
      streams("stream1", "(c) one stream of 500 chunks", 1, 500, 1),
      streams("streams200", "(d) 10 concurrent streams of 50 chunks", 10, 50, 1),
      tokenize(2, 1)
    ]
    : [
      chat("chat1", "(a) 2,000 chat completions, one at a time", 2000, 1, 3),
      chat("chat64", "(b) 5,000 chat completions, 64 at a time", 5000, 64, 2),
      streams("stream1", "(c) one stream of 20,000 chunks", 1, 20_000, 10),
      streams("streams200", "(d) 200 concurrent streams of 500 chunks", 200, 500, 4),
      tokenize(20, 3)
    ]
