import * as Tokenize from "../../Tokenize.js"
import { type JsonDescriptor, post } from "../endpoint.js"

/** `POST /detokenize` (on the host root). @internal */
export const create: JsonDescriptor<Tokenize.DetokenizeParams, Tokenize.DetokenizeResult> = {
  name: "detokenize",
  verb: "create",
  route: post("/detokenize", true),
  params: Tokenize.DetokenizeParams,
  result: Tokenize.DetokenizeResult
}
