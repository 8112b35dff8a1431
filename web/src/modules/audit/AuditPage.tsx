import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { isApiError } from '../../lib/api.ts'
import { canManage } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select } from '../../ui/Input.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { listMembers, memberKeys } from '../members/index.ts'
import { AUDIT_ACTIONS, auditKeys, listAudit } from './api.ts'
import { AuditTable } from './AuditTable.tsx'

const FORBIDDEN = (
  <Alert tone="info" title="Only admins can see the audit log">
    Ask an owner or admin of this workspace if you need to know who did what.
  </Alert>
)

function AuditLog() {
  const { workspace } = useWorkspace()
  const [action, setAction] = useState('')
  const query = useInfiniteQuery({
    queryKey: auditKeys.list(workspace.id, action),
    queryFn: ({ pageParam, signal }) => listAudit(workspace.id, { cursor: pageParam, action }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  })
  const members = useQuery({
    queryKey: memberKeys.members(workspace.id),
    queryFn: ({ signal }) => listMembers(workspace.id, signal),
  })
  const people = new Map((members.data?.items ?? []).map((m) => [m.userId, m.name]))
  if (isApiError(query.error) && query.error.status === 403) return FORBIDDEN
  return (
    <>
      <div className="mb-4 max-w-xs">
        <Field label="Action">
          {(p) => (
            <Select {...p} value={action} onChange={(e) => setAction(e.target.value)}>
              <option value="">All actions</option>
              {AUDIT_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>
      <QueryState query={query} label="Loading audit log…">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items)
          if (items.length === 0)
            return (
              <EmptyState title="No events">
                {action ? 'Nothing recorded for this action yet.' : 'Nothing has been recorded yet.'}
              </EmptyState>
            )
          return (
            <>
              <AuditTable events={items} people={people} />
              <LoadMore query={query} />
            </>
          )
        }}
      </QueryState>
    </>
  )
}

export function AuditPage() {
  useTitle('Audit log')
  const { workspace, role } = useWorkspace()
  return (
    <>
      <PageHeader title="Audit log" description={`Security-relevant events in ${workspace.name}, newest first.`} />
      {canManage(role) ? <AuditLog /> : FORBIDDEN}
    </>
  )
}
