import { placeholder } from "@tensormesh-effect/node"
console.log(placeholder)
