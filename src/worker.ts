import { loadConfig } from './config.ts'
import { createContainer } from './container.ts'
import { startMetricsServer } from './modules/ops/ops.module.ts'
import { startTracing, stopTracing } from './platform/observability/tracing.ts'

/** `worker`: a process that only runs jobs. Scaled mode runs N of these beside stateless `serve` processes. */
const main = async () => {
  const config = loadConfig()
  if (!config.DATABASE_URL)
    throw new Error(
      'A separate worker needs DATABASE_URL (PostgreSQL); embedded mode runs the worker inside `npm start`.',
    )
  await startTracing(config, 'camarad-worker')
  const container = await createContainer(config, { supervise: true })
  await container.startWorker()
  console.log(`worker started: ${container.jobs.map((j) => j.name).join(', ')}`)
  // No API here: /metrics on its own port, the same registry and guard as the API's.
  const metricsServer =
    config.METRICS_PORT === undefined
      ? undefined
      : await startMetricsServer({
          registry: container.metrics.registry,
          port: config.METRICS_PORT,
          host: config.HOST,
          internalToken: config.INTERNAL_TOKEN,
        })
  if (metricsServer) console.log(`worker metrics: http://${config.HOST}:${metricsServer.port}/metrics`)
  const vectors = container.knowledge.knowledge.vectorSupport()
  console.log(
    vectors.available
      ? `knowledge embeddings: on (pgvector ${vectors.version}) for workspaces with an embeddings model`
      : `knowledge embeddings: off, full-text only (${vectors.reason})`,
  )
  const shutdown = async () => {
    await metricsServer?.close()
    await container.close()
    await stopTracing().catch(() => undefined)
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown())
  process.on('SIGINT', () => void shutdown())
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
