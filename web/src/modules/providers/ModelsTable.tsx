import { QueryState } from '../../ui/QueryState.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { useModels } from '../models/index.ts'
import { providerLabel } from './api.ts'

const tokens = new Intl.NumberFormat(undefined, { notation: 'compact' })

/** GET /api/models for this workspace: the server's providers, the workspace's own keys, the offline model. */
export function ModelsTable() {
  const models = useModels()
  return (
    <QueryState query={models} label="Loading models…">
      {(items) => (
        <Table caption="Models this workspace can use" columns={['Model', 'Provider', 'Tier', 'Context']}>
          {items.map((m) => (
            <tr key={m.id} data-testid="model-row" data-offline={m.offline || undefined}>
              <Td>
                <span className="font-medium text-slate-900">{m.label}</span>
                {m.offline && (
                  <span className="ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900">
                    Offline
                  </span>
                )}
                <code className="mt-0.5 block text-xs text-slate-500">{m.id}</code>
              </Td>
              <Td>{m.offline ? 'Built in, no key needed' : providerLabel(m.provider)}</Td>
              <Td className="capitalize">{m.tier}</Td>
              <Td>{tokens.format(m.contextWindow)} tokens</Td>
            </tr>
          ))}
        </Table>
      )}
    </QueryState>
  )
}
