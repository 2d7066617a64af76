// Packs every public package (never the private ones) with pnpm, which is how they are published:
//   pnpm --silent run pack [destination]      (default .tmp/packages)
import { execFileSync } from "node:child_process"
import { mkdirSync } from "node:fs"
import { resolve } from "node:path"
import { publicPackages, root } from "./workspace.mjs"

const destination = resolve(root, process.argv[2] ?? ".tmp/packages")
mkdirSync(destination, { recursive: true })
for (const { dir } of publicPackages()) {
  execFileSync("pnpm", ["pack", "--pack-destination", destination], { cwd: dir, stdio: "inherit" })
}
