import { Link } from 'react-router'
import { flowPath } from '../../../../contracts/app-paths.ts'
import type { FlowDto } from '../../../../contracts/flows.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Badge } from '../../ui/Badge.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { FLOW_STATE_LABEL, FLOW_STATE_TONE } from './status.ts'

/** The client's flows: name, state, published version, unpublished changes, last update. */
export function FlowList({ flows }: { flows: FlowDto[] }) {
  return (
    <Table caption="Flows" columns={['Name', 'State', 'Published', 'Updated']}>
      {flows.map((f) => (
        <tr key={f.id}>
          <Td>
            <Link to={flowPath(f.id)} className="font-medium text-indigo-700 hover:underline">
              {f.name}
            </Link>
            {f.description && <p className="max-w-md truncate text-xs text-slate-500">{f.description}</p>}
          </Td>
          <Td>
            <Badge tone={FLOW_STATE_TONE[f.state]}>{FLOW_STATE_LABEL[f.state]}</Badge>
          </Td>
          <Td className="whitespace-nowrap">
            {f.publishedVersion ? `v${f.publishedVersion.number}` : <span className="text-slate-500">Draft only</span>}
            {f.unpublishedChanges && (
              <span className="ml-2 inline-flex items-center gap-1 text-xs text-amber-800" title="Unpublished changes">
                <span aria-hidden="true" className="size-2 rounded-full bg-amber-500" />
                <span className="sr-only">Unpublished changes</span>
              </span>
            )}
          </Td>
          <Td className="whitespace-nowrap">{formatDateTime(f.updatedAt)}</Td>
        </tr>
      ))}
    </Table>
  )
}
