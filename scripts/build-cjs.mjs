// The CommonJS half of the dual build, run after `tsc -b tsconfig.build.json` (which writes build/esm and build/dts).
//
// For every public package (packages/*/package.json without "private": true) it writes build/cjs:
//   - each src/**/*.ts transpiled to CommonJS with its source map (isolatedModules guarantees per-file transpiling
//     is exact, and tsc -b has already type-checked the same files),
//   - the declaration files of build/dts copied beside them (so `stripInternal` holds for both formats), which
//     TypeScript reads as CommonJS declarations because of
//   - build/cjs/package.json, {"type":"commonjs"}.
// A new package needs nothing here: give it the exports map of packages/core/package.json.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import ts from "typescript"
import { publicPackages, root } from "./workspace.mjs"

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]
  )

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  sourceMap: true,
  isolatedModules: true,
  verbatimModuleSyntax: false,
  esModuleInterop: false
}

const buildPackage = (dir) => {
  const src = join(dir, "src")
  const dts = join(dir, "build", "dts")
  const out = join(dir, "build", "cjs")
  if (!existsSync(dts)) throw new Error(`${relative(root, dts)} is missing: run tsc -b tsconfig.build.json first`)
  rmSync(out, { recursive: true, force: true })
  let files = 0
  for (const file of walk(src).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))) {
    const rel = relative(src, file).replace(/\.ts$/, ".js")
    const target = join(out, rel)
    const result = ts.transpileModule(readFileSync(file, "utf8"), {
      compilerOptions,
      fileName: file,
      reportDiagnostics: true
    })
    if (result.diagnostics !== undefined && result.diagnostics.length > 0) {
      throw new Error(ts.formatDiagnostics(result.diagnostics, ts.createCompilerHost({})))
    }
    const map = JSON.parse(result.sourceMapText)
    map.file = rel.split("/").pop()
    map.sources = [relative(dirname(target), file).replaceAll("\\", "/")]
    delete map.sourceRoot
    mkdirSync(dirname(target), { recursive: true })
    const code = result.outputText.replace(/\/\/# sourceMappingURL=.*$/m, `//# sourceMappingURL=${map.file}.map`)
    writeFileSync(target, code)
    writeFileSync(`${target}.map`, JSON.stringify(map))
    files++
  }
  cpSync(dts, out, { recursive: true })
  writeFileSync(join(out, "package.json"), JSON.stringify({ type: "commonjs" }) + "\n")
  return files
}

for (const { dir } of publicPackages()) buildPackage(dir)
