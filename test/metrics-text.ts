/** Prometheus text exposition, read for tests: the samples of one metric whose labels include `labels`. */
export const samples = (body: string, name: string, labels: Record<string, string> = {}) =>
  body
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => {
      const m = /^([^{\s]+)(?:\{(.*)\})?\s+(\S+)/.exec(line)!
      const found = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
      )
      return { labels: found as Record<string, string>, value: Number(m[3]) }
    })
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))

/** The sum of the matching samples (0 when none). */
export const sampleSum = (body: string, name: string, labels: Record<string, string> = {}) =>
  samples(body, name, labels).reduce((sum, s) => sum + s.value, 0)

/** Every metric family a scrape names (its `# TYPE` lines). */
export const metricNames = (body: string) => new Set([...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!))
