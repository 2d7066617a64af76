/**
 * @since 0.1.0
 */
export { placeholder } from "@tensormesh-effect/core"
