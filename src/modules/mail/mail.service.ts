import { createTransport, type Transporter } from 'nodemailer'
import type { Kysely } from 'kysely'
import type { MailTables } from './mail.tables.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import type { OutboxEmail } from './mail.tables.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { OutboxEmailDto, OutboxQuery } from '../../../contracts/mail.ts'
import { deliverEmail } from './mail.jobs.ts'
import { outbox } from './mail.repository.ts'

/** What a module asks to send; `link` is the one action of the email (shown to the operator beside the text). */
export type EmailMessage = { kind: string; to: string; subject: string; text: string; link?: string }

/** Attempts before an email is marked failed for good (the job's retries plus the first try). */
export const MAX_ATTEMPTS = 6

const toDto = (e: OutboxEmail): OutboxEmailDto => ({
  id: e.id,
  kind: e.kind,
  to: e.toAddress,
  subject: e.subject,
  text: e.textBody,
  link: e.link,
  status: e.status,
  attempts: e.attempts,
  lastError: e.lastError,
  messageId: e.messageId,
  createdAt: e.createdAt.toISOString(),
  sentAt: e.sentAt?.toISOString() ?? null,
})

type Deps = {
  db: Kysely<MailTables>
  queue: Queue
  smtpUrl?: string | undefined
  from: string
  log?: (line: string) => void
}

/**
 * Outbound email. `send` stores the email and enqueues its delivery in the caller's transaction; the job delivers it
 * over SMTP when SMTP_URL is set, else leaves it stored (status `stored`) for the operator page and logs its link.
 */
export const createMailService = ({ db, queue, smtpUrl, from, log = (line) => console.info(line) }: Deps) => {
  const transport: Transporter | undefined = smtpUrl ? createTransport(smtpUrl) : undefined
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'camarad.local'
  const job = deliverEmail((id) => deliver(id))

  /** Delivers one stored email; throws on an SMTP failure so the queue retries it (attempts are counted on the row). */
  const deliver = async (id: string) => {
    const email = await outbox.byId(db, id)
    if (!email || email.status === 'sent' || email.status === 'stored') return
    if (!transport) {
      await outbox.mark(db, id, { status: 'stored' })
      log(
        `[mail] no SMTP_URL: stored "${email.subject}" for ${email.toAddress} (${email.kind})${email.link ? `: ${email.link}` : ''}`,
      )
      return
    }
    // One Message-ID per row: a retry after a lost reply is recognisable as the same email by the receiving side.
    const messageId = `<${email.id}@${domain}>`
    const attempts = email.attempts + 1
    try {
      await transport.sendMail({ from, to: email.toAddress, subject: email.subject, text: email.textBody, messageId })
      await outbox.mark(db, id, { status: 'sent', attempts, messageId, sentAt: new Date(), lastError: null })
    } catch (err) {
      const message = err instanceof Error ? err.message.slice(0, 500) : String(err)
      await outbox.mark(db, id, {
        status: attempts >= MAX_ATTEMPTS ? 'failed' : 'queued',
        attempts,
        lastError: message,
        messageId,
      })
      if (attempts < MAX_ATTEMPTS) throw err
    }
  }

  return {
    job,
    deliver,
    /** Stores the email and enqueues its delivery on `trx`: nothing is sent unless the caller's transaction commits. */
    async send(handle: Handle, message: EmailMessage) {
      const trx = own<MailTables>(handle)
      const row = await outbox.insert(trx, {
        id: newId('eml'),
        kind: message.kind,
        toAddress: message.to,
        subject: message.subject,
        textBody: message.text,
        link: message.link ?? null,
      })
      await queue.enqueue(trx, job, { emailId: row.id })
      return { id: row.id }
    },
    /** The operator's list, newest first. */
    async list(q: OutboxQuery) {
      const page = await outbox.page(db, { to: q.to }, q)
      return { items: page.items.map(toDto), nextCursor: page.nextCursor }
    },
  }
}
export type MailService = ReturnType<typeof createMailService>
