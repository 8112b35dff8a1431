import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.ts'
import type { Kysely } from 'kysely'
import type { MailTables } from './mail.tables.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import { mailRoutes } from './mail.routes.ts'
import { createMailService } from './mail.service.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'

export type { EmailMessage, MailService } from './mail.service.ts'

type Deps = {
  db: Kysely<MailTables>
  queue: Queue
  operator: OperatorGuard
  config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM'>
  log?: (line: string) => void
}

/** Outbound email: the outbox table, its delivery job (SMTP through nodemailer, or stored), the operator's list. */
export const createMailModule = ({ db, queue, operator, config, log }: Deps) => {
  const mail = createMailService({ db, queue, smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, log })
  return {
    mail,
    send: mail.send,
    jobs: [mail.job],
    routes: [
      async (app: FastifyInstance) => {
        await app.register(mailRoutes({ mail, operator }))
      },
    ],
  } satisfies ModuleShape
}
export type MailModule = ReturnType<typeof createMailModule>
