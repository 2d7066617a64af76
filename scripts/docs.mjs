// Regenerates the API reference of every package with a docgen.json (packages/*/docs), typechecking and running
// the @example blocks of its TSDoc. The package check does the same and fails when the committed reference is stale.
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { packages, root } from "./workspace.mjs"

const PATH = `${join(root, "node_modules", ".bin")}:${process.env.PATH}`
for (const { dir } of packages().filter((pkg) => existsSync(join(pkg.dir, "docgen.json")))) {
  execFileSync(join(root, "node_modules", ".bin", "docgen"), [], { cwd: dir, stdio: "inherit", env: { ...process.env, PATH } })
}
