/**
 * The deterministic, vocabulary-free tokenizer of the local server.
 *
 * Text is split into pieces (a run of letters, marks, digits and `_`; a run of whitespace; any other single code
 * point). Each piece is cut into tokens without ever splitting a code point:
 * - code points below U+10000 (lone surrogates included, encoded as in WTF-8) are packed greedily, at most 3 UTF-8
 *   bytes per token: `id = bytes * 4 + byteCount` (`byteCount` 1 to 3);
 * - a code point from U+10000 up gets a token of its own: `id = (codePoint - 0xFFFF) * 4`.
 *
 * Every token therefore decodes on its own to a complete string, `detokenize(tokenize(text)) === text` for any
 * JavaScript string, and ids stay below 2^26. Id 0 and ids whose bytes are not a whole sequence of code points are
 * invalid.
 *
 * @internal
 */

const PIECE = /[\p{L}\p{M}\p{N}_]+|\s+|[^]/gu
const MAX_ID = 0x1000000 * 4

const byteLength = (codePoint: number): number => codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : 3

const pushBytes = (codePoint: number, bytes: Array<number>): void => {
  if (codePoint < 0x80) {
    bytes.push(codePoint)
  } else if (codePoint < 0x800) {
    bytes.push(0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f))
  } else {
    bytes.push(0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f))
  }
}

const packId = (bytes: ReadonlyArray<number>): number => {
  let value = 0
  for (const byte of bytes) value = value * 256 + byte
  return value * 4 + bytes.length
}

const encodePiece = (piece: string, out: Array<number>): void => {
  let pending: Array<number> = []
  const flush = () => {
    if (pending.length > 0) {
      out.push(packId(pending))
      pending = []
    }
  }
  for (let i = 0; i < piece.length;) {
    const codePoint = piece.codePointAt(i)!
    i += codePoint > 0xffff ? 2 : 1
    if (codePoint > 0xffff) {
      flush()
      out.push((codePoint - 0xffff) * 4)
      continue
    }
    if (pending.length + byteLength(codePoint) > 3) flush()
    pushBytes(codePoint, pending)
  }
  flush()
}

/**
 * The token ids of a text.
 *
 * @internal
 */
export const tokenize = (text: string): Array<number> => {
  const out: Array<number> = []
  for (const match of text.matchAll(PIECE)) encodePiece(match[0], out)
  return out
}

const decodeBytes = (bytes: ReadonlyArray<number>): string | undefined => {
  let out = ""
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i]!
    if (lead < 0x80) {
      out += String.fromCharCode(lead)
      i += 1
    } else if ((lead & 0xe0) === 0xc0) {
      const next = bytes[i + 1]
      if (next === undefined || (next & 0xc0) !== 0x80) return undefined
      const codePoint = ((lead & 0x1f) << 6) | (next & 0x3f)
      if (codePoint < 0x80) return undefined
      out += String.fromCharCode(codePoint)
      i += 2
    } else if ((lead & 0xf0) === 0xe0) {
      const second = bytes[i + 1]
      const third = bytes[i + 2]
      if (second === undefined || third === undefined || (second & 0xc0) !== 0x80 || (third & 0xc0) !== 0x80) {
        return undefined
      }
      const codePoint = ((lead & 0x0f) << 12) | ((second & 0x3f) << 6) | (third & 0x3f)
      if (codePoint < 0x800) return undefined
      out += String.fromCharCode(codePoint)
      i += 3
    } else {
      return undefined
    }
  }
  return out
}

/**
 * The text of one token, or `undefined` when the id is not a valid token.
 *
 * @internal
 */
export const tokenText = (id: number): string | undefined => {
  if (!Number.isSafeInteger(id) || id <= 0 || id >= MAX_ID) return undefined
  const count = id % 4
  const value = Math.floor(id / 4)
  if (count === 0) {
    const codePoint = value + 0xffff
    return codePoint > 0x10ffff ? undefined : String.fromCodePoint(codePoint)
  }
  if (value >= 256 ** count) return undefined
  const bytes: Array<number> = []
  for (let shift = count - 1; shift >= 0; shift--) bytes.push(Math.floor(value / 256 ** shift) % 256)
  return decodeBytes(bytes)
}

/**
 * The text of a token sequence; the invalid ids when there are some.
 *
 * @internal
 */
export const detokenize = (
  ids: ReadonlyArray<number>
): { readonly _tag: "Text"; readonly text: string } | { readonly _tag: "Invalid"; readonly ids: Array<number> } => {
  let text = ""
  const invalid: Array<number> = []
  for (const id of ids) {
    const piece = tokenText(id)
    if (piece === undefined) invalid.push(id)
    else text += piece
  }
  return invalid.length > 0 ? { _tag: "Invalid", ids: invalid } : { _tag: "Text", text }
}

/**
 * The text of a token sequence, `undefined` when an id is invalid.
 *
 * @internal
 */
export const detokenizeText = (ids: ReadonlyArray<number>): string | undefined => {
  const decoded = detokenize(ids)
  return decoded._tag === "Text" ? decoded.text : undefined
}

/**
 * A token and its text: the unit of generated output.
 *
 * @internal
 */
export interface Token {
  readonly id: number
  readonly text: string
}

/**
 * The tokens of a text with their texts.
 *
 * @internal
 */
export const tokens = (text: string): Array<Token> => tokenize(text).map((id) => ({ id, text: tokenText(id)! }))
