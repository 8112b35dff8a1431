import { encode } from 'gpt-tokenizer'

export type NormalizedUsage = { inputTokens: number; outputTokens: number; cachedInputTokens: number; reasoningTokens: number; estimated: boolean }
type Reported = { inputTokens?: number; outputTokens?: number; inputTokenDetails?: { cacheReadTokens?: number }; outputTokenDetails?: { reasoningTokens?: number } } | undefined

/**
 * Usage as the provider reported it, cached and reasoning tokens included. A provider that reports no output
 * tokens for a non-empty answer is counted from the text (gpt-tokenizer) and the figure flagged as estimated.
 */
export const normalizeUsage = (reported: Reported, text: { prompt: () => string; output: string }): NormalizedUsage => {
  const estimated = !reported?.outputTokens && text.output.length > 0
  return {
    inputTokens: reported?.inputTokens || encode(text.prompt()).length,
    outputTokens: estimated ? encode(text.output).length : reported?.outputTokens ?? 0,
    cachedInputTokens: reported?.inputTokenDetails?.cacheReadTokens ?? 0,
    reasoningTokens: reported?.outputTokenDetails?.reasoningTokens ?? 0,
    estimated,
  }
}
