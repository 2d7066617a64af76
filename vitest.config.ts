import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src`, import.meta.url))

// Workspace packages resolve to their sources so tests never depend on a stale build.
const alias = [
  { find: /^@tensormesh-effect\/core$/, replacement: `${src("core")}/index.ts` },
  { find: /^@tensormesh-effect\/core\/(.*)$/, replacement: `${src("core")}/$1.ts` },
  { find: /^@tensormesh-effect\/node$/, replacement: `${src("node")}/index.ts` },
  { find: /^@tensormesh-effect\/node\/(.*)$/, replacement: `${src("node")}/$1.ts` },
  { find: /^@tensormesh-effect\/ai$/, replacement: `${src("ai")}/index.ts` },
  { find: /^@tensormesh-effect\/ai\/(.*)$/, replacement: `${src("ai")}/$1.ts` }
]

export default defineConfig({
  resolve: { alias },
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    sequence: { concurrent: false }
  }
})
