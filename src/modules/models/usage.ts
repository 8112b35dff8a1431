import { countTokens } from '../../platform/tokens/count-tokens.ts'

export type NormalizedUsage = {
  inputTokens: number
  outputTokens: number
  cachedInputTokens: number
  reasoningTokens: number
  estimated: boolean
}
type Reported =
  | {
      inputTokens?: number
      outputTokens?: number
      inputTokenDetails?: { cacheReadTokens?: number }
      outputTokenDetails?: { reasoningTokens?: number }
    }
  | undefined

/**
 * Usage as the provider reported it, cached and reasoning tokens included. A provider that reports no output
 * tokens for a non-empty answer is counted from the text (`countTokens`) and the figure flagged as estimated.
 */
export const normalizeUsage = (reported: Reported, text: { prompt: () => string; output: string }): NormalizedUsage => {
  const estimated = !reported?.outputTokens && text.output.length > 0
  return {
    inputTokens: reported?.inputTokens || countTokens(text.prompt()),
    outputTokens: estimated ? countTokens(text.output) : (reported?.outputTokens ?? 0),
    cachedInputTokens: reported?.inputTokenDetails?.cacheReadTokens ?? 0,
    reasoningTokens: reported?.outputTokenDetails?.reasoningTokens ?? 0,
    estimated,
  }
}
