import type { ReactNode } from 'react'
import { errorMessage } from '../../lib/api.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { PageHeader } from '../../ui/Card.tsx'
import { Skeleton } from '../../ui/Skeleton.tsx'
import { NoClientYet, useCurrentClient } from '../clients/index.ts'

/** A CRM page of the client picked in the sidebar: loading, no client yet, or the page keyed by the client. */
export function ClientGate({
  title,
  children,
}: {
  title: string
  children: (client: { id: string; name: string }) => ReactNode
}) {
  useTitle(title)
  const { query, client } = useCurrentClient()
  if (query.isPending) return <Skeleton label="Loading clients…" variant="page" />
  if (!client)
    return (
      <>
        <PageHeader title={title} />
        {query.isError ? (
          <Alert tone="error" title="Could not load clients">
            {errorMessage(query.error)}
          </Alert>
        ) : (
          <NoClientYet>The CRM keeps a client's contacts, deals and bookings. Add the first client.</NoClientYet>
        )}
      </>
    )
  return <div key={client.id}>{children({ id: client.id, name: client.name })}</div>
}
