// An empty Node process: the start-up every app pays before its first import.
import { report } from "./shared.js"

report("")
