import * as ServerInfo from "../../ServerInfo.js"
import { get as getRoute, type JsonDescriptor } from "../endpoint.js"

/** `GET /health` (on the host root, keyless): 200 with an empty body, or `{status}`. @internal */
export const get: JsonDescriptor<void, ServerInfo.Health> = {
  name: "health",
  verb: "get",
  route: getRoute("/health", true),
  params: undefined,
  result: ServerInfo.Health,
  lenient: true,
  preprocess: (json) =>
    typeof json === "object" && json !== null && typeof (json as { status?: unknown }).status === "string"
      ? json
      : { ...(typeof json === "object" && json !== null ? json : {}), status: "ok" }
}
