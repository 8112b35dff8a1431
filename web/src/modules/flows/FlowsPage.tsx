import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useSearchParams } from 'react-router'
import type { RunStatus, RunTrigger } from '../../../../contracts/flows.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { canManage } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { LoadMore } from '../../ui/LoadMore.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Skeleton } from '../../ui/Skeleton.tsx'
import { Tabs } from '../../ui/Tabs.tsx'
import { NoClientYet, useCurrentClient } from '../clients/index.ts'
import { flowKeys, listFlows } from './api.ts'
import type { RunFilters } from './api.ts'
import { ComposeDialog } from './ComposeDialog.tsx'
import { FlowList } from './FlowList.tsx'
import { ImportButton } from './ImportButton.tsx'
import { NewFlowDialog } from './NewFlowDialog.tsx'
import { RunList } from './RunList.tsx'
import { TemplatesDialog } from './TemplatesDialog.tsx'

type Tab = 'flows' | 'runs'
type DialogName = 'new' | 'templates' | 'compose' | null

/** /app/flows: the current client's flows and their runs. */
export function FlowsPage() {
  useTitle('Flows')
  const { query: clientsQuery, client } = useCurrentClient()
  if (clientsQuery.isPending) return <Skeleton label="Loading clients…" variant="page" />
  if (!client)
    return (
      <>
        <PageHeader title="Flows" />
        {clientsQuery.isError ? (
          <Alert tone="error" title="Could not load clients">
            {errorMessage(clientsQuery.error)}
          </Alert>
        ) : (
          <NoClientYet>
            Flows automate the work you do for a client. Add the first client, then build its flows here.
          </NoClientYet>
        )}
      </>
    )
  return <ClientFlows key={client.id} clientId={client.id} clientName={client.name} />
}

function ClientFlows({ clientId, clientName }: { clientId: string; clientName: string }) {
  const admin = canManage(useWorkspace().role)
  const [params, setParams] = useSearchParams()
  const tab: Tab = params.get('tab') === 'runs' ? 'runs' : 'flows'
  const [dialog, setDialog] = useState<DialogName>(null)
  const filters: RunFilters = {
    status: (params.get('status') || undefined) as RunStatus | undefined,
    trigger: (params.get('trigger') || undefined) as RunTrigger | undefined,
    flowId: params.get('flowId') || undefined,
  }
  const setFilters = (f: RunFilters) =>
    setParams(
      Object.fromEntries(
        Object.entries({ tab: 'runs', ...f }).filter(
          (e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '',
        ),
      ),
      { replace: true },
    )
  const actions = admin && (
    <>
      <Button onClick={() => setDialog('new')}>New flow</Button>
      <Button variant="secondary" onClick={() => setDialog('templates')}>
        From a template
      </Button>
      <Button variant="secondary" onClick={() => setDialog('compose')}>
        Compose from a prompt
      </Button>
      <ImportButton clientId={clientId} />
    </>
  )
  return (
    <>
      <PageHeader
        title="Flows"
        description={
          <>
            Automations for <strong className="font-semibold text-slate-900">{clientName}</strong>: a trigger, then
            steps that think, decide and act.
          </>
        }
        actions={actions || undefined}
      />
      <Tabs
        label="Flows and runs"
        tabs={[
          { key: 'flows', label: 'Flows' },
          { key: 'runs', label: 'Runs' },
        ]}
        current={tab}
        onSelect={(t) => setParams(t === 'runs' ? { tab: 'runs' } : {}, { replace: true })}
      >
        {tab === 'flows' ? (
          <FlowsTab clientId={clientId} admin={admin} onDialog={setDialog} />
        ) : (
          <RunList clientId={clientId} filters={filters} onFilters={setFilters} />
        )}
      </Tabs>
      {admin && (
        <>
          <NewFlowDialog
            key={`new-${dialog === 'new'}`}
            clientId={clientId}
            open={dialog === 'new'}
            onClose={() => setDialog(null)}
          />
          <ComposeDialog
            key={`compose-${dialog === 'compose'}`}
            clientId={clientId}
            open={dialog === 'compose'}
            onClose={() => setDialog(null)}
          />
        </>
      )}
      <TemplatesDialog
        clientId={clientId}
        admin={admin}
        open={dialog === 'templates'}
        onClose={() => setDialog(null)}
      />
    </>
  )
}

function FlowsTab({
  clientId,
  admin,
  onDialog,
}: {
  clientId: string
  admin: boolean
  onDialog: (d: DialogName) => void
}) {
  const query = useInfiniteQuery({
    queryKey: flowKeys.list(clientId),
    queryFn: ({ pageParam, signal }) => listFlows(clientId, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  })
  return (
    <QueryState query={query} label="Loading flows…">
      {(data) => {
        const items = data.pages.flatMap((p) => p.items)
        if (items.length === 0)
          return (
            <EmptyState
              title="No flows yet"
              action={
                admin ? (
                  <div className="flex flex-wrap justify-center gap-2">
                    <Button onClick={() => onDialog('new')}>New flow</Button>
                    <Button variant="secondary" onClick={() => onDialog('templates')}>
                      From a template
                    </Button>
                    <Button variant="secondary" onClick={() => onDialog('compose')}>
                      Compose from a prompt
                    </Button>
                  </div>
                ) : undefined
              }
            >
              {admin
                ? 'Start from scratch, from a template, or describe what the flow should do.'
                : 'An admin of the workspace creates flows; you can run and watch them here.'}
            </EmptyState>
          )
        return (
          <>
            <FlowList flows={items} />
            <LoadMore query={query} />
          </>
        )
      }}
    </QueryState>
  )
}
