import { sql, type SelectQueryBuilder } from 'kysely'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { InboxTables } from './inbox.tables.ts'

/** What the list of threads may be narrowed to (the route's query, parsed). */
export type ThreadFilters = {
  /** Contact name, phone or WhatsApp id, or the text of a message; matched literally, case-insensitively. */
  q?: string | undefined
  /** `me`, `none` or a user id. */
  assigned?: string | undefined
  unread?: 'true' | 'false' | undefined
  label?: string | undefined
  channelId?: string | undefined
}

/** A LIKE pattern that matches `text` literally anywhere: `%`, `_` and the escape character itself are escaped. */
export const containing = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`

/** A query that looks like a phone number ("+40 712-345") is also matched on its digits alone, as WhatsApp ids are. */
const digitsOf = (q: string) => (/^[+\d\s().-]+$/.test(q) ? q.replace(/\D/g, '') : '')

/**
 * Narrows a thread list (one client's `inbox_threads`, already scoped) by the filters. Each filter is a condition on
 * the thread row itself — subqueries for the contact and the messages, never a join — so the page's order and cursor
 * (last activity, id) stay those of the unfiltered list.
 */
export const withThreadFilters = <O>(
  query: SelectQueryBuilder<InboxTables, 'inboxThreads', O>,
  scope: ClientScope,
  f: ThreadFilters,
) => {
  if (f.channelId) query = query.where('inboxThreads.channelId', '=', f.channelId)
  if (f.assigned === 'none') query = query.where('inboxThreads.assignedTo', 'is', null)
  else if (f.assigned)
    query = query.where('inboxThreads.assignedTo', '=', f.assigned === 'me' ? scope.userId : f.assigned)
  if (f.unread === 'true') query = query.where('inboxThreads.unread', '>', 0)
  else if (f.unread === 'false') query = query.where('inboxThreads.unread', '=', 0)
  if (f.label)
    query = query.where(sql<boolean>`${sql.ref('inboxThreads.labels')} @> ${JSON.stringify([f.label])}::jsonb`)
  const q = f.q?.trim()
  if (q) {
    const pattern = containing(q)
    const digits = digitsOf(q)
    query = query.where((eb) =>
      eb.or([
        eb(
          'inboxThreads.contactId',
          'in',
          eb
            .selectFrom('inboxContacts as c')
            .select('c.id')
            .where('c.clientId', '=', scope.clientId)
            .where((c) =>
              c.or([
                c('c.name', 'ilike', pattern),
                c('c.waId', 'ilike', pattern),
                c('c.phone', 'ilike', pattern),
                ...(digits.length >= 3
                  ? [c('c.waId', 'like', containing(digits)), c('c.phone', 'like', containing(digits))]
                  : []),
              ]),
            ),
        ),
        eb.exists(
          eb
            .selectFrom('inboxMessages as m')
            .select(sql`1`.as('one'))
            .whereRef('m.threadId', '=', 'inboxThreads.id')
            .where('m.clientId', '=', scope.clientId)
            .where(sql<string>`coalesce(m.content->>'text', m.content->>'caption', '')`, 'ilike', pattern),
        ),
      ]),
    )
  }
  return query
}
