/**
 * Node integration of tensormesh-effect.
 *
 * The local Tensormesh-compatible server is imported from its own entry, `@tensormesh-effect/node/LocalServer`, so
 * that applications importing this index never load an HTTP server.
 *
 * @since 0.1.0
 */

/**
 * One-line layers for Node: each surface with the tuned undici transport, configured from options, the
 * environment and (opt-in) the `tm` CLI config file.
 *
 * @since 0.1.0
 */
export * as NodeTensormesh from "./NodeTensormesh.js"

/**
 * The `tm` CLI config file (`config.toml`): where it is, what it holds.
 *
 * @since 0.1.0
 */
export * as TmConfig from "./TmConfig.js"
