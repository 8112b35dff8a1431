import { useQuery } from '@tanstack/react-query'
import { formatDateTime } from '../../lib/format.ts'
import { Badge } from '../../ui/Badge.tsx'
import { campaignKeys, getConsent } from './campaigns-api.ts'

/** "Opted out" on a contact that wrote STOP: campaigns skip them until an admin records an opt-in back. */
export function ContactConsent({ clientId, contactId }: { clientId: string; contactId: string }) {
  const consent = useQuery({
    queryKey: campaignKeys.consent(clientId, contactId),
    queryFn: ({ signal }) => getConsent(clientId, contactId, signal),
  })
  if (!consent.data?.optedOut) return null
  return (
    <span title={consent.data.since ? `Since ${formatDateTime(consent.data.since)}` : undefined}>
      <Badge tone="red">Opted out of campaigns</Badge>
    </span>
  )
}
