/**
 * Bundle size of the chat-only apps (`apps/*.ts`, built): esbuild `--bundle --minify`, platform node, ESM, then gzip
 * level 9. The metafile splits each bundle by package, for the breakdown of what Effect costs and what the SDK adds.
 */
import * as esbuild from "esbuild"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import * as NodeZlib from "node:zlib"

export interface BundleFigures {
  readonly app: string
  /** The bundle, written for the bundled cold starts. */
  readonly file: string
  readonly minifiedBytes: number
  readonly gzipBytes: number
  /** Minified bytes by package (`effect`, `@effect/platform`, `@tensormesh-effect/core`, `openai`, ...). */
  readonly byPackage: Readonly<Record<string, number>>
}

export const BUNDLE_APPS = ["openai", "ours-fetch", "ours-deep", "effect"] as const

const packageOf = (path: string): string => {
  const parts = path.split("node_modules/")
  if (parts.length === 1) {
    const workspace = /packages\/(core|node)\//.exec(path)
    return workspace === null ? "(app)" : `@tensormesh-effect/${workspace[1]}`
  }
  const last = parts[parts.length - 1].split("/")
  return last[0].startsWith("@") ? `${last[0]}/${last[1]}` : last[0]
}

/** Bundled dependencies written as CommonJS (undici) call `require`: ESM bundles get one. */
const requireShim = `import { createRequire as __createRequire } from "node:module"; ` +
  `const require = __createRequire(import.meta.url);`

const bundleOne = async (dir: string, outDir: string, app: string): Promise<BundleFigures> => {
  const result = await esbuild.build({
    entryPoints: [NodePath.join(dir, `${app}.js`)],
    bundle: true,
    minify: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    metafile: true,
    logLevel: "silent",
    outfile: NodePath.join(outDir, `${app}.bundle.mjs`)
  })
  const file = result.outputFiles.find((f) => f.path.endsWith(".mjs"))!
  // sizes without the shim, which only makes the written file runnable
  NodeFs.writeFileSync(file.path, `${requireShim}\n${file.text}`)
  const byPackage: Record<string, number> = {}
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = packageOf(path)
      byPackage[name] = (byPackage[name] ?? 0) + input.bytesInOutput
    }
  }
  return {
    app,
    file: file.path,
    minifiedBytes: file.contents.length,
    gzipBytes: NodeZlib.gzipSync(file.contents, { level: 9 }).length,
    byPackage
  }
}

/** Bundles every app of `BUNDLE_APPS` from `dir` into `outDir`. */
export const bundles = async (dir: string, outDir: string): Promise<ReadonlyArray<BundleFigures>> => {
  const out: Array<BundleFigures> = []
  for (const app of BUNDLE_APPS) out.push(await bundleOne(dir, outDir, app))
  return out
}
