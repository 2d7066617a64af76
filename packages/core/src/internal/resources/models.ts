import * as Models from "../../Model.js"
import { get as getRoute, type JsonDescriptor } from "../endpoint.js"

/** `GET /v1/models` (keyless on the public serverless host). @internal */
export const list: JsonDescriptor<void, Models.ModelList> = {
  name: "models",
  verb: "list",
  route: getRoute("/models"),
  params: undefined,
  result: Models.ModelList
}
