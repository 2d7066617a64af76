// Prints vitest's JSON report as one closing line, "Tests: N passed, N failed, N skipped", for CI logs.
import { readFileSync } from "node:fs"

const report = JSON.parse(readFileSync(process.argv[2], "utf8"))
const skipped = report.numPendingTests + report.numTodoTests
console.log(`Tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`)
process.exit(report.success && report.numTotalTests > 0 ? 0 : 1)
