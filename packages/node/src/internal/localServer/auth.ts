/**
 * Access rules: Bearer keys on keyed routes, and `X-User-Id` on every route of the on-demand mode.
 *
 * Nothing here is logged, and error bodies never repeat a key or a user id.
 *
 * @internal
 */
import type { Headers } from "@effect/platform/Headers"
import type * as Api from "../../LocalServer.js"
import { type ApiFailure, badRequest, unauthorized } from "./errors.js"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const bearer = (header: string | undefined): string | undefined => {
  const match = header === undefined ? null : /^Bearer\s+(.*)$/i.exec(header.trim())
  const key = match?.[1]?.trim()
  return key === undefined || key.length === 0 ? undefined : key
}

/**
 * The failure of a request that may not use a route, if any.
 *
 * @internal
 */
export const checkAccess = (
  options: {
    readonly mode: Api.Mode
    readonly apiKeys: ReadonlyArray<string> | undefined
    readonly userIds: ReadonlyArray<string> | undefined
  },
  keyless: boolean,
  headers: Headers
): ApiFailure | undefined => {
  if (!keyless) {
    const key = bearer(headers["authorization"])
    if (key === undefined || (options.apiKeys !== undefined && !options.apiKeys.includes(key))) return unauthorized
  }
  if (options.mode === "on-demand") {
    const userId = headers["x-user-id"]?.trim()
    if (userId === undefined || userId.length === 0) return badRequest("Missing X-User-Id header", "X-User-Id")
    if (!UUID.test(userId)) return badRequest("Invalid X-User-Id header: expected a UUID", "X-User-Id")
    if (
      options.userIds !== undefined &&
      !options.userIds.some((allowed) => allowed.toLowerCase() === userId.toLowerCase())
    ) {
      return unauthorized
    }
  }
  return undefined
}
