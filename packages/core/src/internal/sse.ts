import * as Data from "effect/Data"

/**
 * One dispatched Server-Sent Event. `event` is `undefined` when the event had no (or an empty) `event:` field.
 *
 * @internal
 */
export interface SseEvent {
  readonly event: string | undefined
  readonly data: string
}

/**
 * The data of one event (or one unfinished line) grew past `maxEventSize` characters.
 *
 * @internal
 */
export class SseEventTooLarge extends Data.TaggedError("SseEventTooLarge")<{
  readonly size: number
  readonly limit: number
}> {
  override get message(): string {
    return `SSE event of at least ${this.size} characters exceeds the limit of ${this.limit}`
  }
}

/** @internal */
export const DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024

/**
 * The decoder `SseParser.pushTextInto` expects its text from (one per stream).
 *
 * @internal
 */
export const textDecoder = (): TextDecoder => new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })

/**
 * An unfinished line may exceed `maxEventSize` by the length of `"data: "`, so that a line holding a maximal
 * `data` value is accepted whatever the chunking.
 */
const LINE_PREFIX_ALLOWANCE = 6

/** `text` as a string of its own (V8 keeps a slice of a longer string as a view that retains the whole). */
const flat = (text: string): string => text.length < 16 ? text : (" " + text).slice(1)

const LF = 10
const COLON = 58
const SPACE = 32
const BOM = 0xfeff

/**
 * Streaming UTF-8 bytes → lines. Lines end at `\n`, `\r\n` or a lone `\r`; a `\r` at the end of a read ends the line
 * at once, and a `\n` at the start of the next read is then skipped. One streaming `TextDecoder` handles characters
 * split across reads; a leading BOM is stripped once, at the start of the stream.
 *
 * @internal
 */
export class LineSplitter {
  private readonly decoder = textDecoder()
  /** Text of the unfinished line, in pieces (joined once, when the line ends: linear in its length). */
  private pending: Array<string> = []
  private pendingChars = 0
  /** The previous text ended with `\r`: a `\n` at the start of the next text belongs to it. */
  private skipLF = false
  private atStart = true

  /** Length in characters of the unfinished line held back. */
  get pendingLength(): number {
    return this.pendingChars
  }

  push(bytes: Uint8Array): Array<string> {
    const out: Array<string> = []
    this.pushInto(bytes, out)
    return out
  }

  end(): Array<string> {
    const out: Array<string> = []
    this.endInto(out)
    return out
  }

  /** Appends the lines completed by `bytes` to `out`. */
  pushInto(bytes: Uint8Array, out: Array<string>): void {
    if (bytes.length === 0) return
    this.scan(this.decoder.decode(bytes, { stream: true }), out)
  }

  /** Appends the lines completed by `text` (already decoded, by a decoder that keeps a BOM) to `out`. */
  pushTextInto(text: string, out: Array<string>): void {
    this.scan(text, out)
  }

  /** Flushes the decoder and appends the remaining lines, including a final line without a terminator, to `out`. */
  endInto(out: Array<string>): void {
    this.scan(this.decoder.decode(), out)
    if (this.pendingChars > 0) out.push(this.takePending(""))
    this.skipLF = false
  }

  /** The unfinished line completed by `tail`. */
  private takePending(tail: string): string {
    const pending = this.pending
    const line = pending.length === 1 ? pending[0] + tail : pending.join("") + tail
    this.pending = []
    this.pendingChars = 0
    return line
  }

  private scan(text: string, out: Array<string>): void {
    const length = text.length
    if (length === 0) return
    let pos = 0
    if (this.atStart) {
      this.atStart = false
      if (text.charCodeAt(0) === BOM) pos = 1
    }
    if (this.skipLF) {
      this.skipLF = false
      if (text.charCodeAt(pos) === LF) pos++
    }
    let lf = text.indexOf("\n", pos)
    let cr = text.indexOf("\r", pos)
    while (lf !== -1 || cr !== -1) {
      let end: number
      let next: number
      if (cr === -1 || (lf !== -1 && lf < cr)) {
        end = lf
        next = lf + 1
      } else {
        end = cr
        if (cr + 1 < length) {
          next = text.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1
        } else {
          next = length
          this.skipLF = true
        }
      }
      out.push(this.pendingChars > 0 ? this.takePending(text.slice(pos, end)) : text.slice(pos, end))
      pos = next
      if (lf !== -1 && lf < pos) lf = text.indexOf("\n", pos)
      if (cr !== -1 && cr < pos) cr = text.indexOf("\r", pos)
    }
    if (pos < length) {
      // a copy, not a slice: a slice would keep the whole read's text alive while the stream waits for the next one
      const rest = flat(text.slice(pos))
      this.pending.push(rest)
      this.pendingChars += rest.length
    }
  }
}

/**
 * Incremental SSE parser (WHATWG event-stream rules, with a pending event dispatched at EOF).
 *
 * - `data` lines are joined with `\n`; one space after the colon is stripped; `data` without a colon is an empty value.
 * - `event` names the next dispatched event; an empty name counts as none. It is reset by every blank line.
 * - Comments, `id`, `retry` and unknown fields are ignored; blank lines without preceding data dispatch nothing.
 * - `push` and `end` throw `SseEventTooLarge` once the data of one event, or one unfinished line, exceeds
 *   `maxEventSize` characters (an unfinished line is allowed 6 more, the length of `"data: "`).
 *
 * @internal
 */
export class SseParser {
  private readonly lines = new LineSplitter()
  private readonly lineBuffer: Array<string> = []
  private readonly maxEventSize: number
  private eventName: string | undefined = undefined
  private data = ""
  private hasData = false

  constructor(options?: { readonly maxEventSize?: number | undefined }) {
    this.maxEventSize = options?.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE
  }

  push(bytes: Uint8Array): Array<SseEvent> {
    const out: Array<SseEvent> = []
    this.pushInto(bytes, out)
    return out
  }

  end(): Array<SseEvent> {
    const out: Array<SseEvent> = []
    this.endInto(out)
    return out
  }

  /**
   * Appends the events completed by `bytes` to `out`. On `SseEventTooLarge`, `out` still holds the events that
   * were complete before the oversized one.
   */
  pushInto(bytes: Uint8Array, out: Array<SseEvent>): void {
    const lines = this.lineBuffer
    this.lines.pushInto(bytes, lines)
    this.parseLines(lines, out)
  }

  /**
   * As `pushInto`, for text already decoded (as `textDecoder()` decodes: UTF-8, replacement characters, the BOM kept so
   * that the start of the stream strips it).
   */
  pushTextInto(text: string, out: Array<SseEvent>): void {
    const lines = this.lineBuffer
    this.lines.pushTextInto(text, lines)
    this.parseLines(lines, out)
  }

  private parseLines(lines: Array<string>, out: Array<SseEvent>): void {
    try {
      for (let i = 0; i < lines.length; i++) this.line(lines[i], out)
    } finally {
      lines.length = 0
    }
    const pending = this.lines.pendingLength
    if (pending > this.maxEventSize + LINE_PREFIX_ALLOWANCE) {
      throw new SseEventTooLarge({ size: pending, limit: this.maxEventSize })
    }
  }

  /** Appends the remaining events, including a pending one without its trailing blank line, to `out`. */
  endInto(out: Array<SseEvent>): void {
    const lines = this.lineBuffer
    this.lines.endInto(lines)
    try {
      for (let i = 0; i < lines.length; i++) this.line(lines[i], out)
    } finally {
      lines.length = 0
    }
    this.dispatch(out)
  }

  private dispatch(out: Array<SseEvent>): void {
    if (this.hasData) {
      out.push({ event: this.eventName, data: this.data })
      this.data = ""
      this.hasData = false
    }
    this.eventName = undefined
  }

  private line(line: string, out: Array<SseEvent>): void {
    const length = line.length
    if (length === 0) return this.dispatch(out)
    if (line.charCodeAt(0) === COLON) return
    const colon = line.indexOf(":")
    const nameLength = colon === -1 ? length : colon
    let valueStart = colon === -1 ? length : colon + 1
    if (valueStart < length && line.charCodeAt(valueStart) === SPACE) valueStart++
    if (nameLength === 4 && line.startsWith("data")) {
      const value = valueStart >= length ? "" : line.slice(valueStart)
      const size = this.hasData ? this.data.length + 1 + value.length : value.length
      if (size > this.maxEventSize) throw new SseEventTooLarge({ size, limit: this.maxEventSize })
      this.data = this.hasData ? this.data + "\n" + value : value
      this.hasData = true
    } else if (nameLength === 5 && line.startsWith("event")) {
      this.eventName = valueStart >= length ? undefined : line.slice(valueStart)
    }
  }
}
