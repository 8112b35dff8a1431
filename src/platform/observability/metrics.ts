import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

export type Metrics = ReturnType<typeof createMetrics>

/** One registry per app instance, so tests that build several apps do not collide. */
export const createMetrics = (
  queueDepth: () => Promise<{ name: string; queued: number; active: number; failed: number }[]>,
) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'camarad_' })
  const httpDuration = new Histogram({
    name: 'camarad_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  new Gauge({
    name: 'camarad_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      for (const q of await queueDepth().catch(() => [])) {
        this.set({ queue: q.name, state: 'queued' }, q.queued)
        this.set({ queue: q.name, state: 'active' }, q.active)
        this.set({ queue: q.name, state: 'failed' }, q.failed)
      }
    },
  })
  return { registry, httpDuration }
}
