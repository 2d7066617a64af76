// After `changeset version`: the versions the sources and the READMEs name follow the package versions.
//   - packages/core/src/internal/version.ts (the User-Agent, tensormesh-effect/<version>),
//   - the `@tensormesh-effect/<name>@^<version>` ranges of the install commands in every README.
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { publicPackages, root } from "./workspace.mjs"

const update = (file, edit) => {
  const path = join(root, file)
  const before = readFileSync(path, "utf8")
  const after = edit(before)
  if (after !== before) {
    writeFileSync(path, after)
    console.log(`updated ${file}`)
  }
}

const versions = new Map(publicPackages().map((pkg) => [pkg.name, pkg.manifest.version]))
update(
  "packages/core/src/internal/version.ts",
  (text) => text.replace(/export const VERSION = "[^"]*"/, `export const VERSION = "${versions.get("@tensormesh-effect/core")}"`)
)
for (const file of ["README.md", ...publicPackages().map((pkg) => join(pkg.dir, "README.md").slice(root.length + 1))]) {
  update(file, (text) =>
    text.replace(/(@tensormesh-effect\/[a-z-]+)@\^[0-9][^\s`]*/g, (whole, name) =>
      versions.has(name) ? `${name}@^${versions.get(name)}` : whole))
}
