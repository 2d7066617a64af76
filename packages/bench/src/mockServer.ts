/**
 * Starts the mock server (`server.ts`) in its own process and gives its port once it listens.
 */
import { type ChildProcess, fork } from "node:child_process"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"

const here = NodePath.dirname(fileURLToPath(import.meta.url))

export const startMockServer = (): Promise<{ readonly child: ChildProcess; readonly port: number }> =>
  new Promise((resolve, reject) => {
    const child = fork(NodePath.join(here, "server.js"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
    child.once("message", (message) => resolve({ child, port: (message as { port: number }).port }))
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`the mock server exited (${code})`)))
  })
