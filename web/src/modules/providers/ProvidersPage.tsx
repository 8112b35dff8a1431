import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import type { KeyProvider } from '../../../../contracts/provider-keys.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { canManage } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { listProviderKeys, providerKeyKeys } from './api.ts'
import { KEY_FORM_ID, ProviderKeyForm } from './ProviderKeyForm.tsx'
import { ModelsTable } from './ModelsTable.tsx'
import { ProviderKeysTable } from './ProviderKeysTable.tsx'

/** /app/settings/providers: the workspace's own AI provider keys (admins) and the models it can use. */
export function ProvidersPage() {
  useTitle('AI providers')
  const { workspace, role } = useWorkspace()
  const admin = canManage(role)
  return (
    <>
      <PageHeader
        title="AI providers"
        description={`Bring your own keys: ${workspace.name}’s agents then run on your provider accounts.`}
      />
      {admin ? (
        <KeysSection workspaceId={workspace.id} />
      ) : (
        <Alert className="mb-8">Only admins can manage provider keys.</Alert>
      )}
      <section aria-labelledby="models-heading">
        <h2 id="models-heading" className="mb-1 text-lg font-semibold text-slate-900">
          Available models
        </h2>
        <p className="mb-3 text-sm text-slate-600">
          What agents, conversations and meetings in this workspace can use. The offline model always works: it composes
          answers locally, without a provider.
        </p>
        <ModelsTable />
      </section>
    </>
  )
}

function KeysSection({ workspaceId }: { workspaceId: string }) {
  const [provider, setProvider] = useState<KeyProvider>('openai')
  const keys = useQuery({
    queryKey: providerKeyKeys.list(workspaceId),
    queryFn: ({ signal }) => listProviderKeys(workspaceId, signal),
  })
  const replace = (p: KeyProvider) => {
    setProvider(p)
    const form = document.getElementById(KEY_FORM_ID)
    form?.scrollIntoView({ block: 'center' })
    form?.querySelector<HTMLInputElement>('input[type=password]')?.focus()
  }
  return (
    <div className="mb-8 space-y-6">
      <Card
        title="Add or replace a key"
        description={
          'Keys are encrypted before they are stored and are never shown again: you will only see the' +
          ' last 4 characters. Saving a key for a provider that already has one replaces it.'
        }
      >
        <ProviderKeyForm provider={provider} onProviderChange={setProvider} />
      </Card>
      <section aria-labelledby="keys-heading">
        <h2 id="keys-heading" className="mb-3 text-lg font-semibold text-slate-900">
          Your keys
        </h2>
        <QueryState query={keys} label="Loading keys…">
          {(items) =>
            items.length === 0 ? (
              <EmptyState title="No keys yet">
                Without a key of your own, agents use the server’s providers, or the offline model when there are none.
              </EmptyState>
            ) : (
              <ProviderKeysTable keys={items} onReplace={replace} />
            )
          }
        </QueryState>
      </section>
    </div>
  )
}
