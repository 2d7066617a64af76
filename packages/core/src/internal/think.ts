/**
 * `<think>` blocks left in `content` by servers without a reasoning parser.
 *
 * Tags are matched exactly (lowercase, no attributes). Both the one-shot and the streaming splitter:
 * - drop the tags, move the text of `<think>…</think>` to reasoning;
 * - trim the whitespace following a `</think>` from the content (up to the first non-whitespace character, as
 *   `String.prototype.trimStart` defines whitespace);
 * - ignore a `<think>` inside a think block (the tag is dropped, the text stays reasoning);
 * - drop a stray `</think>` met in content (it still trims the whitespace after it);
 * - treat an unclosed `<think>` as reasoning up to the end.
 *
 * They differ in how reasoning is assembled: `splitThink` trims each block, drops empty ones and joins them with
 * `\n` (`undefined` if none is left); `ThinkStreamSplitter` emits the raw block text, so its concatenated reasoning is
 * the plain concatenation of the blocks. Content is identical.
 */

const OPEN = "<think>"
const CLOSE = "</think>"

/** @internal */
export interface ThinkSplit {
  readonly content: string
  readonly reasoning: string | undefined
}

const stripOpenTags = (text: string): string => text.indexOf(OPEN) === -1 ? text : text.split(OPEN).join("")

/**
 * Splits the `<think>` blocks out of a complete `content`.
 *
 * `orphanClose` (default `true`): when the first `</think>` comes before any `<think>`, everything before it is
 * reasoning (the opening tag was injected by the chat template). Otherwise such a tag is stripped like a stray one.
 *
 * @internal
 */
export const splitThink = (content: string, options?: { readonly orphanClose?: boolean | undefined }): ThinkSplit => {
  if (content.indexOf("<think") === -1 && content.indexOf("</think") === -1) {
    return { content, reasoning: undefined }
  }
  const reasoning: Array<string> = []
  const addReasoning = (text: string) => {
    const trimmed = stripOpenTags(text).trim()
    if (trimmed.length > 0) reasoning.push(trimmed)
  }
  let out = ""
  let pos = 0
  let trim = false
  const addContent = (text: string) => {
    if (trim) {
      text = text.trimStart()
      if (text.length === 0) return
      trim = false
    }
    out += text
  }
  if (options?.orphanClose !== false) {
    const close = content.indexOf(CLOSE)
    if (close !== -1) {
      const open = content.indexOf(OPEN)
      if (open === -1 || close < open) {
        addReasoning(content.slice(0, close))
        pos = close + CLOSE.length
        trim = true
      }
    }
  }
  const length = content.length
  while (pos < length) {
    const open = content.indexOf(OPEN, pos)
    const stray = content.indexOf(CLOSE, pos)
    if (stray !== -1 && (open === -1 || stray < open)) {
      addContent(content.slice(pos, stray))
      pos = stray + CLOSE.length
      trim = true
      continue
    }
    if (open === -1) {
      addContent(content.slice(pos))
      break
    }
    addContent(content.slice(pos, open))
    const start = open + OPEN.length
    const close = content.indexOf(CLOSE, start)
    if (close === -1) {
      addReasoning(content.slice(start))
      break
    }
    addReasoning(content.slice(start, close))
    pos = close + CLOSE.length
    trim = true
  }
  return { content: out, reasoning: reasoning.length === 0 ? undefined : reasoning.join("\n") }
}

/** @internal */
export interface ThinkPiece {
  readonly kind: "content" | "reasoning"
  readonly text: string
}

/** Length of the longest suffix of `text` (from `from`) that is a proper prefix of `<think>` or `</think>`. */
const partialTagLength = (text: string, from: number): number => {
  const length = text.length
  for (let start = Math.max(from, length - CLOSE.length + 1); start < length; start++) {
    if (text.charCodeAt(start) !== 60) continue
    const n = length - start
    if (OPEN.startsWith(text.slice(start)) || CLOSE.startsWith(text.slice(start))) return n
  }
  return 0
}

/**
 * Streaming `<think>` splitter, one instance per choice. Starts in `content` (or in `reasoning` when the template
 * injects the opening tag). Text is emitted as soon as it cannot be part of a tag: only a suffix that may still
 * begin `<think>` or `</think>` (at most 7 characters) is held back until the next delta or `end()`.
 *
 * @internal
 */
export class ThinkStreamSplitter {
  private state: "content" | "reasoning"
  private held = ""
  /** Drop leading whitespace of content (set by `</think>`). */
  private trim = false

  constructor(options?: { readonly initial?: "content" | "reasoning" | undefined }) {
    this.state = options?.initial ?? "content"
  }

  /**
   * The kind of piece `delta` would be emitted as, unchanged and whole, when it is (no tag in it, nothing held back,
   * no whitespace to trim): the caller may then use it as is instead of calling `push`, which would return exactly
   * `[{ kind, text: delta }]` for a non-empty delta and change no state. `undefined` otherwise.
   */
  passThrough(delta: string): ThinkPiece["kind"] | undefined {
    return this.held.length === 0 && !(this.state === "content" && this.trim) && delta.indexOf("<") === -1
      ? this.state
      : undefined
  }

  push(delta: string): Array<ThinkPiece> {
    if (this.held.length === 0 && delta.indexOf("<") === -1) {
      const text = this.state === "content" && this.trim ? this.trimmed(delta) : delta
      return text.length === 0 ? [] : [{ kind: this.state, text }]
    }
    const text = this.held.length === 0 ? delta : this.held + delta
    this.held = ""
    const out: Array<ThinkPiece> = []
    const length = text.length
    let pos = 0
    let lt = text.indexOf("<")
    while (lt !== -1) {
      if (text.startsWith(OPEN, lt)) {
        this.emit(out, text.slice(pos, lt))
        this.state = "reasoning"
        pos = lt + OPEN.length
      } else if (text.startsWith(CLOSE, lt)) {
        this.emit(out, text.slice(pos, lt))
        this.state = "content"
        this.trim = true
        pos = lt + CLOSE.length
      } else if (length - lt < CLOSE.length) {
        const held = partialTagLength(text, lt)
        if (held > 0) {
          this.emit(out, text.slice(pos, length - held))
          this.held = text.slice(length - held)
          return out
        }
        break
      }
      lt = text.indexOf("<", lt < pos ? pos : lt + 1)
    }
    this.emit(out, text.slice(pos))
    return out
  }

  end(): Array<ThinkPiece> {
    const out: Array<ThinkPiece> = []
    const held = this.held
    this.held = ""
    this.emit(out, held)
    return out
  }

  private trimmed(text: string): string {
    const trimmed = text.trimStart()
    if (trimmed.length > 0) this.trim = false
    return trimmed
  }

  private emit(out: Array<ThinkPiece>, text: string): void {
    const kind = this.state
    if (kind === "content" && this.trim) text = this.trimmed(text)
    if (text.length === 0) return
    const last = out.length - 1
    if (last >= 0 && out[last].kind === kind) {
      out[last] = { kind, text: out[last].text + text }
    } else {
      out.push({ kind, text })
    }
  }
}
