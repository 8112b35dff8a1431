import { encode as gptEncode } from 'gpt-tokenizer'

/**
 * How much text the tokenizer sees per count, in characters. gpt-tokenizer's byte-pair merge is quadratic in the
 * length of one pre-token: 16 000 × "a" takes ≈ 0.4 s and 14 000 CJK letters ≈ 2.3 s on this project's machine, all
 * of it on the event loop. So the tokenizer never gets more than this per count, nor a whitespace-free run longer
 * than `MAX_RUN_CHARS`.
 */
export const TOKENIZER_MAX_CHARS = 16_384
/** The longest whitespace-free run handed to the tokenizer in one piece (≈ 1 ms for the worst letters). */
export const MAX_RUN_CHARS = 128
const WINDOWS = 4
/** Added to what the sampled ratio projects for the unsampled rest, so estimates (and holds) lean high. */
const MARGIN = 1.03

type Encode = (text: string) => { length: number }

// A run longer than MAX_RUN_CHARS, found without backtracking: each attempt reads at most MAX_RUN_CHARS + 1 characters.
const LONG_RUN = new RegExp(`\\S{${MAX_RUN_CHARS + 1},}`, 'g')

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff
/** Cuts at `at` unless that would split a surrogate pair. */
const cutAt = (text: string, at: number) => (isLowSurrogate(text.charCodeAt(at)) ? at - 1 : at)

/**
 * Exact for text without long runs. A long run is counted in `MAX_RUN_CHARS` pieces plus one token each: cutting
 * a word only prevents merges across the cut, and the extra token keeps the count at or above the tokenizer's.
 */
const countPieces = (text: string, encode: Encode) => {
  let tokens = 0
  let from = 0
  for (const match of text.matchAll(LONG_RUN)) {
    if (match.index > from) tokens += encode(text.slice(from, match.index)).length
    const end = match.index + match[0].length
    for (let at = match.index; at < end;) {
      const next = at + MAX_RUN_CHARS >= end ? end : cutAt(text, at + MAX_RUN_CHARS)
      tokens += encode(text.slice(at, next)).length + 1
      at = next
    }
    from = end
  }
  if (from < text.length) tokens += encode(text.slice(from)).length
  return tokens
}

/**
 * Tokens in `text` (o200k, what gpt-tokenizer counts), with bounded work whatever the input. Up to
 * `TOKENIZER_MAX_CHARS` characters it is the tokenizer's count (long runs counted in pieces, at or above it);
 * longer text is sampled in evenly spaced windows and the sample's tokens per character, plus a small margin,
 * is applied to the whole: within a few percent on ordinary text, at most ≈ 16 KB tokenized per call.
 */
export const createTokenCounter =
  (encode: Encode = gptEncode) =>
  (text: string): number => {
    if (text.length <= TOKENIZER_MAX_CHARS) return countPieces(text, encode)
    const size = Math.floor(TOKENIZER_MAX_CHARS / WINDOWS)
    const step = (text.length - size) / (WINDOWS - 1)
    let tokens = 0
    let chars = 0
    for (let i = 0; i < WINDOWS; i++) {
      let start = Math.round(i * step)
      if (isLowSurrogate(text.charCodeAt(start))) start += 1
      const window = text.slice(start, cutAt(text, Math.min(text.length, start + size)))
      tokens += countPieces(window, encode)
      chars += window.length
    }
    return Math.ceil((tokens / chars) * text.length * MARGIN)
  }

/** The one token count every estimate, context fit and counted usage uses. */
export const countTokens = createTokenCounter()
