// The package check, run by `pnpm test` after the build: every public package as a user gets it.
//
// 1. Manifests: metadata, LICENSE (the root's), README, CHANGELOG, no `workspace:` range, no script naming a file
//    the tarball lacks.
// 2. Packs each with pnpm and with npm; both tarballs must hold the same files and the same manifest fields.
// 3. publint and @arethetypeswrong/cli on each tarball.
// 4. A fresh npm app outside the workspace installs the tarballs with the README's npm command (peers from the
//    registry, --prefer-offline), then: a typecheck under `module: nodenext` (ESM .mts and CommonJS .cts) and under
//    `moduleResolution: bundler`; an ESM program against the installed `tensormesh-local` command; a CommonJS
//    program against an in-process LocalServer; and every ```ts block of the READMEs compiled under `tsc --init`.
// 5. The API reference (`@effect/docgen`, in packages/*/docs): regenerated, its examples typechecked and run; a
//    reference that was stale fails the check (and is left regenerated, to commit).
// Prints one summary line; exits 1 on any problem.
//   node scripts/package-check.mjs [--keep]     (--keep leaves the temporary app for inspection)
import { spawn } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, join, relative } from "node:path"
import { publicPackages, readJson, root } from "./workspace.mjs"

const keep = process.argv.includes("--keep")
const problems = []
const problem = (message) => problems.push(message)
const bin = (name) => join(root, "node_modules", ".bin", name)
const tsc = bin("tsc")
// docgen runs tsc and tsx from the PATH
const PATH = `${join(root, "node_modules", ".bin")}:${process.env.PATH}`

/** Runs a command; resolves { code, stdout, stderr } (never rejects). */
const run = (command, args, options = {}) =>
  new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(command, args, { cwd: options.cwd ?? root, env: { ...process.env, PATH, ...options.env } })
    let stdout = ""
    let stderr = ""
    let timedOut = false
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    const timeoutMs = options.timeoutMs ?? 600_000
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, timeoutMs)
    child.on("error", (error) => {
      clearTimeout(timer)
      resolve({ code: -1, stdout, stderr: stderr + String(error) })
    })
    child.on("close", (code) => {
      if (process.env.PACKAGE_CHECK_TIMES) console.error(`${((Date.now() - started) / 1000).toFixed(1)}s ${command} ${args.slice(0, 3).join(" ")}`)
      clearTimeout(timer)
      resolve({ code: code ?? -1, stdout, stderr: timedOut ? `${stderr}\n(timed out after ${timeoutMs / 1000} s)` : stderr })
    })
  })

const must = async (label, command, args, options) => {
  const result = await run(command, args, options)
  if (result.code !== 0) problem(`${label} failed:\n${(result.stdout + result.stderr).trim().slice(-4000)}`)
  return result
}

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]
  )

// 1. Manifests ---------------------------------------------------------------------------------------------------
const packages = publicPackages()
const license = readFileSync(join(root, "LICENSE"), "utf8")
const REQUIRED = ["description", "license", "repository", "homepage", "bugs", "engines", "keywords", "exports"]

for (const { dir, name, manifest } of packages) {
  for (const field of REQUIRED) if (manifest[field] === undefined) problem(`${name}: no "${field}" in package.json`)
  if (manifest.repository?.directory !== relative(root, dir)) problem(`${name}: repository.directory is not its path`)
  if (manifest.exports?.["./internal/*"] !== null) problem(`${name}: exports must map "./internal/*" to null`)
  for (const file of ["README.md", "CHANGELOG.md", "LICENSE"]) {
    if (!existsSync(join(dir, file))) problem(`${name}: no ${file}`)
  }
  if (existsSync(join(dir, "LICENSE")) && readFileSync(join(dir, "LICENSE"), "utf8") !== license) {
    problem(`${name}: LICENSE differs from the root LICENSE`)
  }
  if (JSON.stringify(manifest).includes("workspace:")) problem(`${name}: package.json has a workspace: range`)
}

const core = packages.find((pkg) => pkg.name === "@tensormesh-effect/core")
const userAgentVersion = /VERSION = "([^"]+)"/.exec(
  readFileSync(join(root, "packages/core/src/internal/version.ts"), "utf8")
)?.[1]
if (core !== undefined && userAgentVersion !== core.manifest.version) {
  problem(`core: internal/version.ts says ${userAgentVersion}, package.json ${core.manifest.version} (run scripts/sync-version.mjs)`)
}

// 2. Pack with pnpm and npm --------------------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), "tensormesh-package-check-"))
const packDir = (tool) => join(work, tool)
mkdirSync(packDir("pnpm"))
mkdirSync(packDir("npm"))

const filesOf = async (tarball) => {
  const listed = await run("tar", ["-tzf", tarball])
  return listed.stdout.split("\n").filter((line) => line.length > 0 && !line.endsWith("/")).map((line) =>
    line.replace(/^package\//, "")
  ).sort()
}
const manifestOf = async (tarball) => JSON.parse((await run("tar", ["-xzOf", tarball, "package/package.json"])).stdout)

const packed = await Promise.all(packages.map(async (pkg) => {
  await must(`pnpm pack ${pkg.name}`, "pnpm", ["pack", "--pack-destination", packDir("pnpm")], { cwd: pkg.dir })
  await must(`npm pack ${pkg.name}`, "npm", ["pack", "--silent", "--pack-destination", packDir("npm")], {
    cwd: pkg.dir
  })
  const file = `${pkg.name.replace(/^@/, "").replace("/", "-")}-${pkg.manifest.version}.tgz`
  const tarball = join(packDir("pnpm"), file)
  const npmTarball = join(packDir("npm"), file)
  if (!existsSync(tarball) || !existsSync(npmTarball)) {
    problem(`${pkg.name}: a tarball is missing`)
    return { ...pkg, tarball, files: [], size: 0 }
  }
  const [files, npmFiles, shipped, npmShipped] = await Promise.all([
    filesOf(tarball),
    filesOf(npmTarball),
    manifestOf(tarball),
    manifestOf(npmTarball)
  ])
  if (JSON.stringify(files) !== JSON.stringify(npmFiles)) problem(`${pkg.name}: pnpm and npm pack different files`)
  for (const manifest of [shipped, npmShipped]) {
    if (JSON.stringify(manifest).includes("workspace:")) problem(`${pkg.name}: a packed manifest has workspace:`)
  }
  for (const field of ["dependencies", "peerDependencies", "peerDependenciesMeta", "exports", "bin"]) {
    if (JSON.stringify(shipped[field]) !== JSON.stringify(npmShipped[field])) {
      problem(`${pkg.name}: pnpm and npm pack different "${field}"`)
    }
  }
  for (const [script, command] of Object.entries(shipped.scripts ?? {})) {
    for (const path of command.match(/[\w./-]+\.(?:[cm]?[jt]s|json)\b/g) ?? []) {
      if (!files.includes(path.replace(/^\.\//, ""))) problem(`${pkg.name}: script "${script}" needs ${path}, not shipped`)
    }
  }
  for (const file of ["README.md", "LICENSE", "CHANGELOG.md", "package.json"]) {
    if (!files.includes(file)) problem(`${pkg.name}: the tarball lacks ${file}`)
  }
  if (!files.includes("build/cjs/package.json")) problem(`${pkg.name}: the tarball lacks the CommonJS build`)
  const stray = files.filter((file) => file.startsWith("build/") && !/^build\/(esm|dts|cjs)\//.test(file))
  if (stray.length > 0) problem(`${pkg.name}: the tarball ships ${stray[0]} (only build/esm, build/dts, build/cjs)`)
  return { ...pkg, tarball, files, size: statSync(tarball).size }
}))

// The public modules: src/*.ts but the index and the command, checked by attw as explicit entry points.
const entryPoints = (dir) =>
  readdirSync(join(dir, "src")).filter((file) => file.endsWith(".ts") && file !== "index.ts" && file !== "bin.ts")
    .map((file) => `./${file.replace(/\.ts$/, "")}`)

// 3. publint and attw --------------------------------------------------------------------------------------------
const lint = Promise.all(packed.map(async (pkg) => {
  await must(`publint ${pkg.name}`, bin("publint"), ["run", pkg.tarball, "--strict"])
  const attw = await run(bin("attw"), [
    pkg.tarball,
    "--format",
    "json",
    "--no-definitely-typed",
    "--profile",
    "node16",
    "--include-entrypoints",
    ...entryPoints(pkg.dir)
  ])
  let report
  try {
    report = JSON.parse(attw.stdout)
  } catch {
    problem(`attw ${pkg.name} failed:\n${(attw.stdout + attw.stderr).slice(-2000)}`)
    return
  }
  const found = (report.analysis?.problems ?? []).filter((p) => p.resolutionKind !== "node10")
  if (found.length > 0) problem(`attw ${pkg.name}: ${JSON.stringify(found).slice(0, 2000)}`)
}))

// 5. API reference, concurrently ---------------------------------------------------------------------------------
const docgenDirs = packages.filter((pkg) => existsSync(join(pkg.dir, "docgen.json")))
const snapshot = (dir) => {
  const docs = join(dir, "docs")
  if (!existsSync(docs)) return new Map()
  return new Map(
    walk(docs).map((file) => [relative(docs, file), file]).filter(([file]) => !file.startsWith("examples/")).map((
      [file, path]
    ) => [file, readFileSync(path, "utf8")])
  )
}
// One package at a time (each docgen holds a whole TypeScript program), beside the consumer app's steps
const docgenOne = async (pkg) => {
  const before = snapshot(pkg.dir)
  const result = await must(`docgen ${pkg.name}`, bin("docgen"), [], { cwd: pkg.dir, env: { NO_COLOR: "1" } })
  const examples = Number(/(\d+) example\(s\) found/.exec(result.stdout + result.stderr)?.[1] ?? 0)
  const after = snapshot(pkg.dir)
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((file) => before.get(file) !== after.get(file))
  if (result.code === 0 && changed.length > 0) {
    problem(`${pkg.name}: the API reference was stale (${changed.slice(0, 5).join(", ")}); regenerated, commit it`)
  }
  const modules = [...after.keys()].filter((file) => file.startsWith("modules/") && file !== "modules/index.md")
  return { modules: modules.length, examples }
}
const docgen = (async () => {
  const results = []
  for (const pkg of docgenDirs) results.push(await docgenOne(pkg))
  return results
})()

// 4. The consumer app --------------------------------------------------------------------------------------------
const app = join(work, "app")
mkdirSync(join(app, "src"), { recursive: true })
writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }) + "\n")

// The README's npm command, with the tarballs for our packages; the ranges must be the packages' own.
const readme = readFileSync(join(root, "README.md"), "utf8")
const installLine = readme.split("\n").find((line) =>
  line.startsWith("npm install ") && packages.every((pkg) => line.includes(` ${pkg.name}@`))
)
const installArgs = []
if (installLine === undefined) {
  problem(`README: no \`npm install\` line naming every public package (${packages.map((p) => p.name).join(", ")})`)
} else {
  const peers = Object.assign({}, ...packages.map((pkg) => pkg.manifest.peerDependencies ?? {}))
  const optional = Object.assign({}, ...packages.map((pkg) => pkg.manifest.peerDependenciesMeta ?? {}))
  const named = new Set()
  for (const spec of installLine.split(/\s+/).slice(2)) {
    const at = spec.lastIndexOf("@")
    const [name, range] = [spec.slice(0, at), spec.slice(at + 1)]
    named.add(name)
    const own = packed.find((pkg) => pkg.name === name)
    if (own !== undefined) {
      if (range !== `^${own.manifest.version}`) problem(`README: ${spec} is not ^${own.manifest.version}`)
      installArgs.push(own.tarball)
    } else {
      if (peers[name] !== range) problem(`README: ${spec}, but the peer range is ${peers[name]}`)
      installArgs.push(spec)
    }
  }
  for (const name of Object.keys(peers)) {
    if (!named.has(name) && optional[name]?.optional !== true) problem(`README: the npm command lacks the peer ${name}`)
  }
}

const consumer = (async () => {
  const typesNode = readJson(join(root, "package.json")).devDependencies["@types/node"]
  const install = await must("npm install of the tarballs", "npm", [
    "install",
    "--prefer-offline",
    "--no-audit",
    "--no-fund",
    "--ignore-scripts",
    "--loglevel=error",
    ...installArgs,
    `@types/node@${typesNode}`
  ], { cwd: app })
  if (install.code !== 0) return { typechecks: 0, programs: 0, blocks: 0 }
  const effectVersion = readJson(join(app, "node_modules", "effect", "package.json")).version
  if (!effectVersion.startsWith("3.")) problem(`the app got effect ${effectVersion}`)

  // Typechecks
  const fixtures = join(root, "scripts", "package-check")
  const types = readFileSync(join(fixtures, "types.ts"), "utf8")
  for (const ext of ["mts", "cts", "ts"]) writeFileSync(join(app, "src", `types.${ext}`), types)
  // nodenext also checks every declaration file (ours after stripInternal included); bundler only the program
  const base = { strict: true, noEmit: true, types: ["node"], target: "ES2022" }
  writeFileSync(join(app, "tsconfig.nodenext.json"), JSON.stringify({
    compilerOptions: { ...base, skipLibCheck: false, module: "nodenext", moduleResolution: "nodenext" },
    files: ["src/types.mts", "src/types.cts"]
  }))
  writeFileSync(join(app, "tsconfig.bundler.json"), JSON.stringify({
    compilerOptions: { ...base, skipLibCheck: true, module: "esnext", moduleResolution: "bundler" },
    files: ["src/types.ts"]
  }))

  // README blocks, each a module, under `tsc --init` (strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes...)
  const docs = join(app, "docs")
  mkdirSync(docs)
  let blocks = 0
  for (const file of ["README.md", ...packages.map((pkg) => relative(root, join(pkg.dir, "README.md")))]) {
    const text = readFileSync(join(root, file), "utf8")
    for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
      writeFileSync(join(docs, `${file.replaceAll("/", "_").replace(/\.md$/, "")}-${++blocks}.ts`), match[1])
    }
  }
  await must("tsc --init for the README blocks", tsc, ["--init", "--types", "node"], { cwd: docs })

  const [nodenext, bundler, readmeBlocks, esm, cjs] = await Promise.all([
    must("typecheck under module: nodenext", tsc, ["-p", "tsconfig.nodenext.json"], { cwd: app }),
    must("typecheck under moduleResolution: bundler", tsc, ["-p", "tsconfig.bundler.json"], { cwd: app }),
    must("the README's TypeScript blocks", tsc, ["-p", "docs", "--noEmit"], { cwd: app }),
    (cpSync(join(fixtures, "esm.mjs"), join(app, "esm.mjs")), must("the ESM program", "node", ["esm.mjs"], { cwd: app })),
    (cpSync(join(fixtures, "cjs.cjs"), join(app, "cjs.cjs")), must("the CommonJS program", "node", ["cjs.cjs"], { cwd: app }))
  ])
  if (esm.code === 0 && !esm.stdout.includes("esm ok")) problem("the ESM program did not finish")
  if (cjs.code === 0 && !cjs.stdout.includes("cjs ok")) problem("the CommonJS program did not finish")
  return {
    effectVersion,
    typechecks: (nodenext.code === 0 ? 2 : 0) + (bundler.code === 0 ? 1 : 0),
    programs: [esm, cjs].filter((r) => r.code === 0).length,
    blocks: readmeBlocks.code === 0 ? blocks : 0,
    blocksTotal: blocks
  }
})()

const [, reference, result] = await Promise.all([lint, docgen, consumer])
if (!keep) rmSync(work, { recursive: true, force: true })

const sizes = packed.map((pkg) => `${basename(pkg.name)} ${(pkg.size / 1024).toFixed(1)} kB/${pkg.files.length} files`)
const modules = reference.reduce((n, r) => n + r.modules, 0)
const examples = reference.reduce((n, r) => n + r.examples, 0)
const summary = `Packages: ${packed.length} packed (${sizes.join(", ")}), publint + attw clean, ` +
  `consumer (effect ${result.effectVersion ?? "?"}): ${result.typechecks}/3 typechecks (nodenext ESM+CJS, bundler), ` +
  `${result.programs}/2 programs (ESM, CJS), README ${result.blocks}/${result.blocksTotal ?? 0} blocks, ` +
  `API reference ${modules} modules and ${examples} examples`
if (problems.length > 0) {
  for (const message of problems) console.error(`package check: ${message}`)
  console.log(`${summary}: ${problems.length} problem(s)${keep ? `; app kept in ${app}` : ""}`)
  process.exit(1)
}
console.log(summary)
