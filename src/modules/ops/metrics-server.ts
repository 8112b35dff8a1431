import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { metricsAllowed } from '../../platform/observability/metrics-auth.ts'
import { opsErrors } from './ops.errors.ts'

/**
 * `/metrics` for a process without the API (a `worker`): the same registry and the same INTERNAL_TOKEN guard as the
 * API's route, on its own port (`METRICS_PORT`). Anything else is a 404.
 */
export const startMetricsServer = async ({
  registry,
  port,
  host = '0.0.0.0',
  internalToken,
}: {
  registry: Registry
  port: number
  host?: string
  internalToken?: string
}) => {
  const json = (status: number, body: unknown) => ({ status, type: 'application/json', body: JSON.stringify(body) })
  const server: Server = createServer((req, res) => {
    const answer = async () => {
      const path = (req.url ?? '/').split('?')[0]
      if (req.method !== 'GET' || path !== '/metrics')
        return json(404, { error: { code: 'route.not_found', message: 'Only GET /metrics is served here.' } })
      if (!metricsAllowed(req.headers, internalToken)) {
        const err = opsErrors.internal_token_required()
        return json(err.status, { error: { code: err.code, message: err.message } })
      }
      return { status: 200, type: registry.contentType, body: await registry.metrics() }
    }
    answer()
      .catch(() => json(500, { error: { code: 'internal', message: 'Metrics could not be collected.' } }))
      .then(({ status, type, body }) => {
        res.writeHead(status, { 'content-type': type })
        res.end(body)
      })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
