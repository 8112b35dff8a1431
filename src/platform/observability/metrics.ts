import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

export type Metrics = ReturnType<typeof createMetrics>

/** Where an inbound webhook comes from: a bounded label, named by the route's `config.webhook`. */
export const WEBHOOK_SOURCES = ['stripe', 'whatsapp', 'flow'] as const
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number]

/** A webhook's answer as a label: accepted (2xx/3xx), rejected (4xx: bad signature, unknown, too large) or error (5xx). */
export const webhookStatus = (statusCode: number) =>
  statusCode >= 500 ? 'error' : statusCode >= 400 ? 'rejected' : 'accepted'

/** What the queue tells /metrics, read at scrape time (the same for every process). */
export type QueueFigures = {
  depth(): Promise<{ name: string; queued: number; active: number; failed: number }[]>
  /** Per queue, how long its oldest job that is due has waited, in seconds. */
  oldestAges(): Promise<{ name: string; seconds: number }[]>
}

/** One registry per app instance, so tests that build several apps do not collide. */
export const createMetrics = (queue: QueueFigures) => {
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
      for (const q of await queue.depth().catch(() => [])) {
        this.set({ queue: q.name, state: 'queued' }, q.queued)
        this.set({ queue: q.name, state: 'active' }, q.active)
        this.set({ queue: q.name, state: 'failed' }, q.failed)
      }
    },
  })
  new Gauge({
    name: 'camarad_queue_oldest_job_age_seconds',
    help: 'Per queue, how long the oldest job that is due has waited (0 when none waits)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      const ages = await queue.oldestAges().catch(() => undefined)
      if (!ages) return
      this.reset()
      for (const q of await queue.depth().catch(() => [])) this.set({ queue: q.name }, 0)
      for (const a of ages) this.set({ queue: a.name }, a.seconds)
    },
  })
  const webhookEvents = new Counter({
    name: 'camarad_webhook_events_total',
    help: 'Inbound webhook deliveries by source and answer (accepted, rejected, error)',
    labelNames: ['source', 'status'] as const,
    registers: [registry],
  })
  for (const source of WEBHOOK_SOURCES)
    for (const status of ['accepted', 'rejected', 'error']) webhookEvents.inc({ source, status }, 0)
  return {
    registry,
    httpDuration,
    /** Counts one webhook delivery by the status it was answered with. */
    webhookReceived: (source: WebhookSource, statusCode: number) =>
      webhookEvents.inc({ source, status: webhookStatus(statusCode) }),
  }
}
