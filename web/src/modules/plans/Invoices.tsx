import { useInfiniteQuery } from '@tanstack/react-query'
import { useWorkspace } from '../../app/workspace.tsx'
import { formatDate } from '../../lib/format.ts'
import { Card } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { billingKeys, getInvoices, type InvoiceDto } from './api.ts'

const money = (cents: number, currency: string) =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(cents / 100)
const STATUS: Record<string, string> = {
  paid: 'Paid',
  open: 'Due',
  void: 'Void',
  uncollectible: 'Uncollectible',
  draft: 'Draft',
}

/** The workspace's Stripe invoices, newest first, with Stripe's own invoice page and PDF (admins). */
export function Invoices() {
  const { workspace } = useWorkspace()
  const query = useInfiniteQuery({
    queryKey: billingKeys.invoices(workspace.id),
    queryFn: ({ pageParam, signal }) => getInvoices(workspace.id, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  })
  return (
    <Card title="Invoices" description="Issued by Stripe for this workspace's subscription.">
      <QueryState query={query} label="Loading invoices…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0)
            return (
              <EmptyState title="No invoices yet">Invoices appear here once Stripe issues the first one.</EmptyState>
            )
          return (
            <>
              <Table
                caption="Invoices"
                columns={[
                  'Date',
                  'Number',
                  'Amount',
                  'Status',
                  <span key="l" className="sr-only">
                    Links
                  </span>,
                ]}
              >
                {items.map((i: InvoiceDto) => (
                  <tr key={i.id} data-testid="invoice-row">
                    <Td>{formatDate(i.createdAt)}</Td>
                    <Td className="font-mono text-xs">{i.number ?? '—'}</Td>
                    <Td className="tabular-nums">
                      {money(i.status === 'paid' ? i.amountPaidCents : i.amountDueCents, i.currency)}
                    </Td>
                    <Td>{STATUS[i.status ?? ''] ?? i.status ?? '—'}</Td>
                    <Td className="whitespace-nowrap text-right">
                      {i.hostedInvoiceUrl && (
                        <a
                          href={i.hostedInvoiceUrl}
                          target="_blank"
                          rel="noreferrer"
                          className="font-medium text-indigo-700 hover:underline"
                        >
                          View<span className="sr-only"> invoice {i.number ?? i.id}</span>
                        </a>
                      )}
                      {i.pdfUrl && (
                        <a
                          href={i.pdfUrl}
                          target="_blank"
                          rel="noreferrer"
                          className="ml-3 font-medium text-indigo-700 hover:underline"
                        >
                          PDF<span className="sr-only"> of invoice {i.number ?? i.id}</span>
                        </a>
                      )}
                    </Td>
                  </tr>
                ))}
              </Table>
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </Card>
  )
}
