import * as Tokenize from "../../Tokenize.js"
import { type JsonDescriptor, post } from "../endpoint.js"

/** `POST /tokenize` (on the host root). @internal */
export const create: JsonDescriptor<Tokenize.TokenizeParams, Tokenize.TokenizeResult> = {
  name: "tokenize",
  verb: "create",
  route: post("/tokenize", true),
  params: Tokenize.TokenizeParams,
  result: Tokenize.TokenizeResult
}
