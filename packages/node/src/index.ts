/**
 * Node integration of tensormesh-effect.
 *
 * @since 0.1.0
 */

/**
 * A deterministic, Tensormesh-compatible local server: in-process as a layer, or as the `tensormesh-local`
 * command.
 *
 * @since 0.1.0
 */
export * as LocalServer from "./LocalServer.js"

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
