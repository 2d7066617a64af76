import { register } from "node:module"
register("data:text/javascript," + encodeURIComponent(`
export async function load(url, ctx, next) { const r = await next(url, ctx); (globalThis.__n ??= 0); if (url.includes("node_modules")) { const m = url.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/(?!.*node_modules)/); process.stderr.write((m?m[1]:url)+"\\n") } else process.stderr.write(url+"\\n"); return r }
`))
