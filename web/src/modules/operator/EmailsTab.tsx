import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { formatDateTime } from '../../lib/format.ts'
import { useDebounced } from '../../lib/use-debounced.ts'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input } from '../../ui/Input.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { Badge } from '../../ui/Badge.tsx'
import { operatorKeys } from './api.ts'
import type { OperatorApi, OutboxEmailDto } from './api.ts'

const TONE = { queued: 'amber', stored: 'slate', sent: 'green', failed: 'red' } as const
const LABEL: Record<OutboxEmailDto['status'], string> = {
  queued: 'Queued',
  stored: 'Stored (no SMTP)',
  sent: 'Sent',
  failed: 'Failed',
}

/** The outbox: every email the server sent, or stored when SMTP_URL is not set (then the link is only here and in the log). */
export function EmailsTab({ api }: { api: OperatorApi }) {
  const [to, setTo] = useState('')
  const filter = useDebounced(to.trim().toLowerCase(), 300)
  const valid = filter === '' || /^[^\s@]+@[^\s@]+$/.test(filter)
  const query = useInfiniteQuery({
    queryKey: operatorKeys.emails(valid ? filter : ''),
    queryFn: ({ pageParam, signal }) => api.emails(valid ? filter : '', pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
  })
  return (
    <section aria-labelledby="emails-heading" className="space-y-3">
      <h2 id="emails-heading" className="text-lg font-semibold text-slate-900">
        Emails
      </h2>
      <p className="max-w-prose text-sm text-slate-600">
        Verification, password reset and invitation emails, newest first. Without SMTP_URL nothing leaves the server:
        each email is stored here (and its link written to the log), so you can pass the link on yourself.
      </p>
      <div className="max-w-sm">
        <Field label="Recipient" hint="Only the emails sent to this address">
          {(p) => (
            <Input
              {...p}
              type="email"
              value={to}
              onChange={(e) => setTo(e.target.value)}
              placeholder="name@example.com"
            />
          )}
        </Field>
      </div>
      <QueryState query={query} label="Loading emails…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0)
            return (
              <EmptyState title="No emails">
                {filter
                  ? 'Nothing was sent to this address.'
                  : 'Emails appear here once the server sends the first one.'}
              </EmptyState>
            )
          return (
            <>
              <Table caption="Emails" columns={['Created', 'To', 'Subject and link', 'Status', 'Attempts']}>
                {items.map((e) => (
                  <tr key={e.id} data-testid="email-row">
                    <Td className="whitespace-nowrap">{formatDateTime(e.createdAt)}</Td>
                    <Td className="break-all">{e.to}</Td>
                    <Td>
                      <span className="block font-medium text-slate-900">{e.subject}</span>
                      {e.link && (
                        <a
                          href={e.link}
                          className="block break-all font-mono text-xs text-indigo-700 hover:underline"
                          data-testid="email-link"
                        >
                          {e.link}
                        </a>
                      )}
                      {e.lastError && <span className="block text-xs text-red-700">{e.lastError}</span>}
                    </Td>
                    <Td>
                      <Badge tone={TONE[e.status]}>{LABEL[e.status]}</Badge>
                    </Td>
                    <Td className="text-right tabular-nums">{e.attempts}</Td>
                  </tr>
                ))}
              </Table>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </section>
  )
}
