import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** What the benchmarks measure besides their own timings: CPU per process and machine, the commit, percentiles. */

/** User + system CPU time of a process in ms, from /proc (Linux, USER_HZ = 100); undefined elsewhere. */
export const cpuMs = (pid: number | string | undefined) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}
/** CPU of every PostgreSQL process on the machine (all databases), in ms by pid. */
export const postgresMs = () => {
  const byPid = new Map<string, number>()
  try {
    for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        if (readFileSync(`/proc/${p}/comm`, 'utf8').startsWith('postgres')) byPid.set(p, cpuMs(p) ?? 0)
      } catch {
        /* exited */
      }
    }
    return byPid
  } catch {
    return undefined
  }
}
/** Busy and total CPU time of the whole machine in ms, all cores. */
export const machineMs = () => {
  try {
    const t = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number)
    const total = t.reduce((a, b) => a + b, 0) * 10
    return { busy: total - (t[3]! + t[4]!) * 10, total }
  } catch {
    return undefined
  }
}

/** The commit measured, `+dirty` when src/ has uncommitted changes (other people may be editing it). */
export const gitCommit = () => {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    return execFileSync('git', ['status', '--porcelain', 'src'], { encoding: 'utf8' }).trim() ? `${head}+dirty` : head
  } catch {
    return undefined
  }
}

/** Nearest-rank percentile of sorted values, 2 decimals. */
export const pct = (sorted: number[], p: number) =>
  +(sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN).toFixed(2)
