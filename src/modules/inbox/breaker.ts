/**
 * The outbox's circuit breaker per number (issue 13 §6): when failures spike — at least `minFailures` of the last
 * `window` attempts of a number, and at least `ratio` of them — the number trips: its sends pause for `openMs` (its
 * token bucket's pause, shared by every process) and the count starts over, so the first attempts after the pause
 * decide whether it trips again. Outcomes that are no fault of the number (a recipient paced, a template needed) are
 * not recorded. In process: each dispatcher judges what it saw.
 */
export type BreakerSettings = { window: number; minFailures: number; ratio: number; openMs: number }
export const BREAKER_DEFAULTS: BreakerSettings = { window: 20, minFailures: 10, ratio: 0.5, openMs: 60_000 }

export const createBreaker = (settings: BreakerSettings = BREAKER_DEFAULTS) => {
  const recent = new Map<string, boolean[]>()
  return {
    /** Records an attempt's outcome; true when this failure trips the number (then pause it for `openMs`). */
    record(channelId: string, ok: boolean) {
      const outcomes = recent.get(channelId) ?? []
      outcomes.push(ok)
      if (outcomes.length > settings.window) outcomes.shift()
      recent.set(channelId, outcomes)
      if (ok) return false
      const failures = outcomes.filter((o) => !o).length
      if (failures < settings.minFailures || failures / outcomes.length < settings.ratio) return false
      recent.delete(channelId)
      return true
    },
    settings,
  }
}
export type Breaker = ReturnType<typeof createBreaker>
