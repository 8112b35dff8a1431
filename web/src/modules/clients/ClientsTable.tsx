import { Link } from 'react-router'
import type { ClientDto } from '../../../../contracts/tenancy.ts'
import { formatDate } from '../../lib/format.ts'
import { Table, Td } from '../../ui/Table.tsx'

export function ArchivedBadge() {
  return <span className="rounded-full bg-slate-200 px-2 py-0.5 text-xs font-medium text-slate-700">Archived</span>
}

export function ClientsTable({ clients }: { clients: ClientDto[] }) {
  return (
    <Table caption="Clients" columns={['Name', 'Website', 'Added', 'Status']}>
      {clients.map((c) => (
        <tr key={c.id}>
          <Td>
            <Link
              to={`/app/clients/${encodeURIComponent(c.id)}`}
              className="font-medium text-indigo-700 hover:underline"
            >
              {c.name}
            </Link>
          </Td>
          <Td className="max-w-xs truncate">{c.website ?? '—'}</Td>
          <Td>{formatDate(c.createdAt)}</Td>
          <Td>{c.archivedAt ? <ArchivedBadge /> : 'Active'}</Td>
        </tr>
      ))}
    </Table>
  )
}
