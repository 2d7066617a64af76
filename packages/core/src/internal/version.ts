/** @internal */
export const VERSION = "0.1.0"

/** @internal */
export const USER_AGENT = `tensormesh-effect/${VERSION}`
