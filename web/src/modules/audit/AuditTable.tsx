import type { AuditEventDto } from '../../../../contracts/audit.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Table, Td } from '../../ui/Table.tsx'

const who = (id: string | null, people: Map<string, string>) => (id ? (people.get(id) ?? id) : '—')

const describe = (metadata: Record<string, unknown>) => {
  const entries = Object.entries(metadata)
  if (entries.length === 0) return '—'
  return entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')
}

export function AuditTable({ events, people }: { events: AuditEventDto[]; people: Map<string, string> }) {
  return (
    <Table caption="Audit events" columns={['When', 'Action', 'Actor', 'Subject', 'Target', 'IP', 'Details']}>
      {events.map((e) => (
        <tr key={e.id}>
          <Td className="whitespace-nowrap">{formatDateTime(e.createdAt)}</Td>
          <Td>
            <code className="text-xs text-slate-900">{e.action}</code>
          </Td>
          <Td>{who(e.actorUserId, people)}</Td>
          <Td>{who(e.subjectUserId, people)}</Td>
          <Td className="break-all">{e.targetType ? `${e.targetType}${e.targetId ? ` ${e.targetId}` : ''}` : '—'}</Td>
          <Td className="whitespace-nowrap">{e.ip ?? '—'}</Td>
          <Td className="max-w-xs text-xs break-all">{describe(e.metadata)}</Td>
        </tr>
      ))}
    </Table>
  )
}
