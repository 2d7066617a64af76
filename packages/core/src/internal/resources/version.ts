import * as ServerInfo from "../../ServerInfo.js"
import { get as getRoute, type JsonDescriptor } from "../endpoint.js"

/** `GET /version` (on the host root, keyless). @internal */
export const get: JsonDescriptor<void, ServerInfo.Version> = {
  name: "version",
  verb: "get",
  route: getRoute("/version", true),
  params: undefined,
  result: ServerInfo.Version
}
