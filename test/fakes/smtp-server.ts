import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'

/**
 * A real SMTP server on loopback (the `smtp-server` package): accepts every message, parses it with `mailparser`, and
 * keeps it for the test to read. `reject(true)` makes it refuse recipients, as a full mailbox or a down relay would.
 */
export const startSmtpServer = async () => {
  const received: ParsedMail[] = []
  const waiters: (() => void)[] = []
  let rejecting = false
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo: (_address, _session, done) =>
      done(rejecting ? Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }) : undefined),
    onData: (stream, _session, done) => {
      simpleParser(stream).then((mail) => {
        received.push(mail)
        for (const w of waiters.splice(0)) w()
        done()
      }, done)
    },
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()))
  const port = (server.server.address() as { port: number }).port
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    reject: (on: boolean) => {
      rejecting = on
    },
    /** The newest received email to `to` that `matches` (waits up to `ms`). */
    async waitFor(to: string, ms = 10_000, matches: (mail: ParsedMail) => boolean = () => true) {
      const deadline = Date.now() + ms
      for (;;) {
        const found = received.findLast(
          (m) =>
            matches(m) &&
            Boolean(m.to) &&
            (Array.isArray(m.to) ? m.to : [m.to!]).some((a) => a.value.some((v) => v.address === to)),
        )
        if (found) return found
        if (Date.now() > deadline) throw new Error(`no email to ${to} within ${ms} ms`)
        await new Promise<void>((ok) => {
          waiters.push(ok)
          setTimeout(ok, 200)
        })
      }
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  }
}
