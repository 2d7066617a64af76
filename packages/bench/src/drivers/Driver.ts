/**
 * What each driver does, in the same way: every call is checked against the payload it must have received.
 */

/** A driver's answer for a workload: how many units (requests, chunks, tokens) it received intact. */
export interface Tally {
  /** Calls whose result matched the payload. */
  readonly ok: number
  /** Content chunks received (streams) or tokens received (tokenize); 0 otherwise. */
  readonly units: number
  /** What went wrong, if anything (the first few). */
  readonly problems: ReadonlyArray<string>
}

export interface Driver {
  /** `n` chat completions, `concurrency` at a time. */
  readonly chat: (n: number, concurrency: number) => Promise<Tally>
  /** `count` concurrent chat streams of `chunks` content chunks each, each told to `watch` if given. */
  readonly streams: (count: number, chunks: number, watch?: StreamWatch) => Promise<Tally>
  /** `n` tokenize calls, one at a time. */
  readonly tokenize: (n: number) => Promise<Tally>
  readonly close: () => Promise<void>
}

export interface DriverOptions {
  /** `http://127.0.0.1:port/v1` */
  readonly baseUrl: string
  /** `http://127.0.0.1:port` */
  readonly root: string
  /** Connections per origin the client must allow (set for (h)); else the client's default. */
  readonly connections?: number | undefined
}

/**
 * What a stream tells the worker at (h), for the time to first chunk and the moment every stream is open: the
 * driver calls `opening` just before it sends the request, `first` with that time when the first content chunk
 * reaches the code consuming the stream, and `closed` once the stream is over (whole or not).
 */
export interface StreamWatch {
  readonly opening: () => number
  readonly first: (openedAt: number) => void
  readonly closed: () => void
}

/** Runs `task(i)` for i in [0, n), at most `concurrency` at a time. */
export const pool = async (n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> => {
  let next = 0
  const worker = async () => {
    while (next < n) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker))
}

/** Collects results and the first few problems. */
export class Checker {
  ok = 0
  units = 0
  readonly problems: Array<string> = []

  fail(problem: string): void {
    if (this.problems.length < 5) this.problems.push(problem)
  }

  tally(): Tally {
    return { ok: this.ok, units: this.units, problems: this.problems }
  }
}

export const API_KEY = "tm-bench-key-0000"
