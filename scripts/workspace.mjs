// The workspace's packages, as the build and package scripts see them.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export const root = join(dirname(fileURLToPath(import.meta.url)), "..")

export const readJson = (file) => JSON.parse(readFileSync(file, "utf8"))

/** Every packages/* with a package.json: { dir, name, manifest }. */
export const packages = () =>
  readdirSync(join(root, "packages"))
    .map((name) => join(root, "packages", name))
    .filter((dir) => existsSync(join(dir, "package.json")))
    .map((dir) => ({ dir, manifest: readJson(join(dir, "package.json")) }))
    .map(({ dir, manifest }) => ({ dir, name: manifest.name, manifest }))

/** The packages that are published: not `"private": true`. */
export const publicPackages = () => packages().filter((p) => p.manifest.private !== true)
