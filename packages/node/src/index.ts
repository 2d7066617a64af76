/**
 * Node integration of tensormesh-effect.
 *
 * @since 0.1.0
 */
export {}
