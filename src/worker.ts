import { loadConfig } from './config.ts'
import { createContainer } from './container.ts'

/** `worker`: a process that only runs jobs. Scaled mode runs N of these beside stateless `serve` processes. */
const main = async () => {
  const config = loadConfig()
  if (!config.DATABASE_URL)
    throw new Error(
      'A separate worker needs DATABASE_URL (PostgreSQL); embedded mode runs the worker inside `npm start`.',
    )
  const container = await createContainer(config, { supervise: true })
  await container.startWorker()
  console.log(`worker started: ${container.jobs.map((j) => j.name).join(', ')}`)
  const vectors = container.knowledge.knowledge.vectorSupport()
  console.log(
    vectors.available
      ? `knowledge embeddings: on (pgvector ${vectors.version}) for workspaces with an embeddings model`
      : `knowledge embeddings: off, full-text only (${vectors.reason})`,
  )
  const shutdown = async () => {
    await container.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown())
  process.on('SIGINT', () => void shutdown())
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
