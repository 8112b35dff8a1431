import type { NormalizedUsage } from '../models/models.module.ts'

/** Micro-credits per credit: every amount in the ledger is an integer number of micro-credits. */
export const MICRO = 1_000_000n

/** Prices are integers: micro-USD per million tokens, which is also pico-USD per token. */
export type Price = { id: string; modelId: string; inputPerM: bigint; outputPerM: bigint; cachedInputPerM: bigint }
/** A credit rate version: the value of a credit, the buffer estimates carry and the margin charges carry, in basis points. */
export type Rate = { id: string; usdMicroPerCredit: bigint; bufferBps: number; marginBps: number }

const ceilDiv = (a: bigint, b: bigint) => (a <= 0n ? 0n : (a + b - 1n) / b)

/** What a call cost the provider, in pico-USD: uncached input, cached input and output (reasoning tokens are part of output). */
export const costPico = (
  price: Price,
  u: Pick<NormalizedUsage, 'inputTokens' | 'outputTokens' | 'cachedInputTokens'>,
) => {
  const cached = BigInt(Math.min(u.cachedInputTokens, u.inputTokens))
  return (
    (BigInt(u.inputTokens) - cached) * price.inputPerM +
    cached * price.cachedInputPerM +
    BigInt(u.outputTokens) * price.outputPerM
  )
}

export const picoToUsdMicro = (pico: bigint) => ceilDiv(pico, 1_000_000n)

/** Micro-credits charged for a provider cost: cost × (1 + margin) ÷ value of a credit, rounded up. */
export const creditsFor = (pico: bigint, rate: Rate) =>
  ceilDiv(pico * BigInt(10_000 + rate.marginBps), 10_000n * rate.usdMicroPerCredit)

/** The hold for a call: its prompt plus the most it may write, charged at the rate, plus the rate's buffer. */
export const estimateCredits = (price: Price, rate: Rate, inputTokens: number, maxOutputTokens: number) =>
  ceilDiv(
    creditsFor(costPico(price, { inputTokens, outputTokens: maxOutputTokens, cachedInputTokens: 0 }), rate) *
      BigInt(10_000 + rate.bufferBps),
    10_000n,
  )

/** `1.5` for 1 500 000 micro-credits: up to four decimals, never rounded down to zero when not zero. */
export const formatCredits = (micro: bigint) => {
  const n = Number(micro) / Number(MICRO)
  if (n !== 0 && Math.abs(n) < 0.0001) return n > 0 ? '<0.0001' : '>-0.0001'
  return n.toLocaleString('en-US', { maximumFractionDigits: 4 })
}

/** Dollars per million tokens (the way providers publish them) to our integer form. */
export const perMillionFromUsd = (usd: number) => BigInt(Math.round(usd * 1_000_000))
