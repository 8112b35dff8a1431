import { loadConfig } from '../src/config.ts'
import { createContainer } from '../src/container.ts'

/**
 * A process that only sends WhatsApp messages: a container on the database in DATABASE_URL with its outbox dispatcher
 * running (what a `worker` runs, without the other jobs). The outbox crash test and bench start it, then SIGKILL it.
 */
const container = await createContainer(loadConfig(), { supervise: false, migrate: false })
await container.inbox.outbox.start()
console.log('outbox worker ready')
