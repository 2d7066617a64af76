/**
 * The Redis the limit-store tests run against: `TENSORMESH_TEST_REDIS_URL` (`.ci/run` starts `redis-server` on a
 * loopback port and sets it), else `redis://127.0.0.1:6390`. When it does not answer, the tests FAIL under
 * `CI=true` and are skipped (with a message) elsewhere.
 */
import { describe, it } from "@effect/vitest"
import * as Net from "node:net"

export const REDIS_URL = process.env.TENSORMESH_TEST_REDIS_URL ?? "redis://127.0.0.1:6390"

const answers = (url: string): Promise<boolean> =>
  new Promise((resolve) => {
    const parsed = new URL(url)
    const socket = Net.connect({ host: parsed.hostname, port: Number(parsed.port || 6379) })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1_000, () => done(false))
    socket.once("error", () => done(false))
    socket.once("connect", () => socket.write("PING\r\n"))
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")))
  })

export const redisAvailable = await answers(REDIS_URL)

const inCi = process.env.CI === "true"

/**
 * `describe` for tests that need Redis: run when it answers; a failing test in CI when it does not; skipped with a
 * message otherwise.
 */
export const describeRedis = (name: string, body: () => void) => {
  if (redisAvailable) return describe(name, body)
  if (inCi) {
    return describe(name, () => {
      it("needs Redis", () => {
        throw new Error(
          `no Redis answers at ${REDIS_URL}: .ci/run starts redis-server and sets TENSORMESH_TEST_REDIS_URL`
        )
      })
    })
  }
  console.warn(`[skipped] ${name}: no Redis at ${REDIS_URL} (start one: redis-server --port 6390 --save '')`)
  return describe.skip(name, body)
}

/** A key prefix of its own for each test, so that tests never share counters. */
export const freshPrefix = () => `tensormesh:test:${process.pid}:${Math.random().toString(36).slice(2, 10)}:`
