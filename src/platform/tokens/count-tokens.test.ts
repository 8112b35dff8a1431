import { encode } from 'gpt-tokenizer'
import { describe, expect, it } from 'vitest'
import { countTokens, createTokenCounter, MAX_RUN_CHARS, TOKENIZER_MAX_CHARS } from './count-tokens.ts'

const VOCABULARY = (
  'the agency launched a new campaign for its client, with headlines, budgets and landing pages; ' +
  'our SEO strategist reviewed 42 keywords (cost-per-click €1.20) and wrote: "Optimise the pricing page first." ' +
  'Résumé, naïve café — and numbers like 3.14159 or 2026-12-03 appear too.'
).split(' ')
/** Ordinary prose of about `chars` characters, deterministic. */
const prose = (chars: number) => {
  const words: string[] = []
  let length = 0
  for (let i = 0; length < chars; i++) {
    const word = VOCABULARY[(i * 7919) % VOCABULARY.length]! + (i % 17 === 16 ? '\n\n' : '')
    words.push(word)
    length += word.length + 1
  }
  return words.join(' ').slice(0, chars)
}

/** The real tokenizer, recording what it is handed. */
const recording = () => {
  const inputs: string[] = []
  return {
    inputs,
    count: createTokenCounter((text) => {
      inputs.push(text)
      return encode(text)
    }),
  }
}

describe('countTokens', () => {
  it('is the tokenizer’s count for ordinary text up to the sample size', () => {
    for (const text of ['', 'Hello, world!', prose(2_000), prose(TOKENIZER_MAX_CHARS - 200)])
      expect(countTokens(text)).toBe(encode(text).length)
  })

  it('stays within a few percent of the tokenizer on long ordinary text, and not below it', () => {
    for (const chars of [40_000, 150_000]) {
      const text = prose(chars)
      const real = encode(text).length
      expect(countTokens(text)).toBeGreaterThanOrEqual(real)
      expect(countTokens(text)).toBeLessThanOrEqual(real * 1.05)
    }
  })

  it('never counts a long word below the tokenizer', () => {
    const cjk = '我们的客户希望在下个月推出新的营销活动并提高网站的转化率'
    for (const word of [
      'a'.repeat(5_000),
      '!'.repeat(3_000),
      cjk.repeat(40),
      'x'.repeat(3_000) + ' tail',
      'QUJDRE'.repeat(600),
    ]) {
      expect(countTokens(word)).toBeGreaterThanOrEqual(encode(word).length)
    }
  })

  it('hands the tokenizer at most 16 KB per count and no whitespace-free run longer than 128 characters', () => {
    const hostile = [
      'a'.repeat(200_000),
      `${prose(30_000)} ${'b'.repeat(200_000)}`,
      '🙂'.repeat(50_000),
      prose(1_000_000),
    ]
    for (const text of hostile) {
      const tokenizer = recording()
      expect(tokenizer.count(text)).toBeGreaterThan(0)
      expect(tokenizer.inputs.reduce((n, s) => n + s.length, 0)).toBeLessThanOrEqual(TOKENIZER_MAX_CHARS)
      for (const input of tokenizer.inputs)
        expect(Math.max(0, ...input.split(/\s+/).map((w) => w.length))).toBeLessThanOrEqual(MAX_RUN_CHARS)
    }
  })

  it('never splits a surrogate pair', () => {
    const tokenizer = recording()
    tokenizer.count('🙂'.repeat(50_000))
    for (const input of tokenizer.inputs) expect(input).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/)
  })
})
