import { useQuery } from '@tanstack/react-query'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { canEdit } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Skeleton } from '../../ui/Skeleton.tsx'
import { useAgents } from '../agents/index.ts'
import { NoClientYet, useCurrentClient } from '../clients/index.ts'
import { boardroomKeys, listMeetings } from './api.ts'
import { MeetingList } from './MeetingList.tsx'
import { NewMeetingForm } from './NewMeetingForm.tsx'

/** /app/boardroom: the current client's meetings, and a form to call a new one. */
export function BoardroomPage() {
  useTitle('Boardroom')
  const { query: clientsQuery, client } = useCurrentClient()
  if (clientsQuery.isPending) return <Skeleton label="Loading clients…" variant="page" />
  if (!client) {
    return (
      <>
        <PageHeader title="Boardroom" />
        {clientsQuery.isError ? (
          <Alert tone="error" title="Could not load clients">
            {errorMessage(clientsQuery.error)}
          </Alert>
        ) : (
          <NoClientYet>
            Meetings are about a client. Add the first client you work for, then call a meeting here.
          </NoClientYet>
        )}
      </>
    )
  }
  return (
    <>
      <PageHeader
        title="Boardroom"
        description={
          <>
            Put several agents around one table to discuss a topic for{' '}
            <strong className="font-semibold text-slate-900">{client.name}</strong>; a moderator sums up decisions and
            action items.
          </>
        }
      />
      <ClientBoardroom clientId={client.id} />
    </>
  )
}

function ClientBoardroom({ clientId }: { clientId: string }) {
  const editable = canEdit(useWorkspace().role)
  const agents = useAgents(clientId)
  const meetings = useQuery({
    queryKey: boardroomKeys.list(clientId),
    queryFn: ({ signal }) => listMeetings(clientId, signal),
  })
  return (
    <div className="space-y-8">
      {editable ? (
        <Card title="New meeting">
          <QueryState query={agents} label="Loading agents…">
            {(items) => <NewMeetingForm clientId={clientId} agents={items} />}
          </QueryState>
        </Card>
      ) : (
        <Alert>You have view-only access: you can read meetings but not start them.</Alert>
      )}
      <section aria-labelledby="meetings-heading">
        <h2 id="meetings-heading" className="mb-3 text-base font-semibold text-slate-900">
          Meetings
        </h2>
        <QueryState query={meetings} label="Loading meetings…">
          {(items) =>
            items.length === 0 ? (
              <EmptyState title="No meetings yet">
                {editable
                  ? 'Start one above: pick a topic and two to five agents.'
                  : 'Meetings started by your team show up here.'}
              </EmptyState>
            ) : (
              <MeetingList meetings={items} agents={agents.data ?? []} />
            )
          }
        </QueryState>
      </section>
    </div>
  )
}
