/** A run whose row has not been touched for this long has lost the process that was writing it. */
export const HEARTBEAT_STALE_MS = 60_000
const POLL_MS = 1000
/** Every this many polls the read is a write: the heartbeat (5 s apart, well inside HEARTBEAT_STALE_MS). */
const BEAT_EVERY = 5

type Watch = {
  /** Reads the run's status (another process may have cancelled it). */
  status: () => Promise<string | undefined>
  /** Touches the run's heartbeat and answers its status. */
  beat: () => Promise<string | undefined>
  onCancelled: () => void
}

/**
 * Watches a running answer or meeting from the process writing it: each second it reads the row's status and stops
 * the run when another process cancelled it; every fifth time it writes the heartbeat instead, so a sweeper can tell
 * a live run from one whose process died. The first beat is immediate. Returns the function that stops watching.
 */
export const watchRun = ({ status, beat, onCancelled }: Watch) => {
  let tick = 0
  const check = () => {
    const read = tick++ % BEAT_EVERY === 0 ? beat() : status()
    void read
      .then((s) => {
        if (s === 'cancelled') onCancelled()
      })
      .catch(() => undefined)
  }
  check()
  const timer = setInterval(check, POLL_MS)
  return () => clearInterval(timer)
}

/** The cutoffs a sweeper closes runs by: no heartbeat since `beat` (or never, for a run created before it), or older than `max`. */
export const staleCutoffs = (now: Date, maxAgeMs: number) => ({
  beat: new Date(now.getTime() - HEARTBEAT_STALE_MS),
  max: new Date(now.getTime() - maxAgeMs),
})
