import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link, useParams } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { formatDateTime } from '../../lib/format.ts'
import { canEdit, canManage } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Button } from '../../ui/Button.tsx'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { ConfirmDialog } from '../../ui/Dialog.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { archiveClient, clientKeys, getClient } from './api.ts'
import { ClientEditForm } from './ClientEditForm.tsx'
import { ArchivedBadge } from './ClientsTable.tsx'

export function ClientDetailPage() {
  const { id = '' } = useParams()
  const { workspace, role, storedClientId, selectClient } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [editing, setEditing] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const query = useQuery({
    queryKey: clientKeys.detail(workspace.id, id),
    queryFn: ({ signal }) => getClient(workspace.id, id, signal),
  })
  useTitle(query.data?.name ?? 'Client')
  const archive = useMutation({
    mutationFn: () => archiveClient(workspace.id, id),
    onSuccess: async (client) => {
      qc.setQueryData(clientKeys.detail(workspace.id, id), client)
      setConfirming(false)
      notify(`Client “${client.name}” archived`)
      await qc.invalidateQueries({
        queryKey: clientKeys.all(workspace.id),
        predicate: (q) => q.queryKey[2] !== 'detail',
      })
    },
  })
  const editable = canEdit(role) // members edit; only admins archive; archived clients are read-only
  return (
    <>
      <Link to="/app/clients" className="text-sm font-medium text-indigo-700 hover:underline">
        ← All clients
      </Link>
      <QueryState query={query} label="Loading client…">
        {(client) => (
          <div className="mt-3">
            <PageHeader
              title={client.name}
              description={client.archivedAt ? <ArchivedBadge /> : undefined}
              actions={
                <>
                  {!client.archivedAt && storedClientId !== client.id && (
                    <Button variant="secondary" onClick={() => selectClient(client.id)}>
                      Make current client
                    </Button>
                  )}
                  {editable && !editing && !client.archivedAt && (
                    <Button variant="secondary" onClick={() => setEditing(true)}>
                      Edit
                    </Button>
                  )}
                  {canManage(role) && !client.archivedAt && (
                    <Button
                      variant="danger"
                      onClick={() => {
                        archive.reset()
                        setConfirming(true)
                      }}
                    >
                      Archive
                    </Button>
                  )}
                </>
              }
            />
            {editing ? (
              <ClientEditForm client={client} onDone={() => setEditing(false)} />
            ) : (
              <Card title="Details">
                <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-[10rem_1fr]">
                  <dt className="text-slate-500">Website</dt>
                  <dd className="break-all text-slate-900">
                    {client.website ? (
                      <a
                        href={client.website}
                        target="_blank"
                        rel="noopener noreferrer"
                        className="text-indigo-700 hover:underline"
                      >
                        {client.website}
                      </a>
                    ) : (
                      '—'
                    )}
                  </dd>
                  <dt className="text-slate-500">Notes</dt>
                  <dd className="whitespace-pre-wrap text-slate-900">{client.notes || '—'}</dd>
                  <dt className="text-slate-500">Created</dt>
                  <dd className="text-slate-900">{formatDateTime(client.createdAt)}</dd>
                  <dt className="text-slate-500">Last updated</dt>
                  <dd className="text-slate-900">{formatDateTime(client.updatedAt)}</dd>
                  {client.archivedAt && (
                    <>
                      <dt className="text-slate-500">Archived</dt>
                      <dd className="text-slate-900">{formatDateTime(client.archivedAt)}</dd>
                    </>
                  )}
                </dl>
              </Card>
            )}
            <ConfirmDialog
              open={confirming}
              title={`Archive ${client.name}?`}
              message="Archived clients disappear from the client switcher and lists. Their history is kept."
              confirmLabel="Archive client"
              pending={archive.isPending}
              error={archive.isError ? errorMessage(archive.error) : null}
              onConfirm={() => archive.mutate()}
              onCancel={() => setConfirming(false)}
            />
          </div>
        )}
      </QueryState>
    </>
  )
}
