import { buildApp } from './app.ts'
import { loadConfig } from './config.ts'
import { createContainer } from './container.ts'
import { startBanner } from './banner.ts'

/** `serve`: HTTP API + web app, and (unless RUN_WORKER=false) the job worker in the same process. */
export const serve = async () => {
  const config = loadConfig()
  // The e2e suite's WhatsApp Web stand-in (test-only: it refuses to load when NODE_ENV=production).
  const standinDir = process.env.CAMARAD_WA_STANDIN
  const standin = standinDir
    ? await (await import('../test/fakes/wa-web-standin-server.ts')).standinFromDir(standinDir)
    : undefined
  const container = await createContainer(
    config,
    standin ? { qrSocketFactory: async () => standin.factory, whatsappMediaOrigin: standin.mediaOrigin } : {},
  )
  const app = await buildApp(container)
  if (config.RUN_WORKER) await container.startWorker()
  await app.listen({ port: config.PORT, host: config.HOST })
  const url = config.PUBLIC_URL ?? `http://localhost:${(app.server.address() as { port: number }).port}`
  app.log.info(
    `Camarad is running at ${url} (${container.database.kind}${config.RUN_WORKER ? ', worker in process' : ''})`,
  )
  console.log(
    startBanner({
      url,
      config,
      catalog: container.models.catalog(),
      knowledge: container.knowledge.knowledge.vectorSupport(),
      tty: Boolean(process.stdout.isTTY),
    }),
  )

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    app.log.info({ signal }, 'shutting down: draining requests and jobs')
    const force = setTimeout(() => process.exit(1), 20_000)
    force.unref()
    await app.close()
    await container.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  return { app, container }
}

if (import.meta.main) {
  serve().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  })
}
