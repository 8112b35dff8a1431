import { useMutation } from '@tanstack/react-query'
import { errorMessage } from '../../lib/api.ts'
import { Button } from '../../ui/Button.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { downloadExport } from './imports-api.ts'

/** "Export CSV": the list as filtered, downloaded as a file (the server streams it). */
export function ExportButton({
  clientId,
  path,
  filters,
}: {
  clientId: string
  path: '/api/crm/contacts/export.csv' | '/api/crm/bookings/export.csv'
  filters: Record<string, string | undefined>
}) {
  const { notify } = useToast()
  const run = useMutation({
    mutationFn: () => downloadExport(clientId, path, filters),
    onSuccess: (name) => notify(`Saved ${name}`),
    onError: (e) => notify(errorMessage(e), 'error'),
  })
  return (
    <Button variant="secondary" pending={run.isPending} onClick={() => run.mutate()}>
      Export CSV
    </Button>
  )
}
