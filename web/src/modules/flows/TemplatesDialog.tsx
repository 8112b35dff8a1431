import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useNavigate } from 'react-router'
import { flowPath } from '../../../../contracts/app-paths.ts'
import { errorMessage } from '../../lib/api.ts'
import { Badge } from '../../ui/Badge.tsx'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { EmptyState } from '../../ui/EmptyState.tsx'
import { FormError } from '../../ui/FormError.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { flowKeys, instantiateTemplate, listTemplates } from './api.ts'

type Props = { clientId: string; open: boolean; onClose: () => void; admin: boolean }

/** The template gallery: "Use" makes a flow from a template in the client and opens its canvas. */
export function TemplatesDialog({ clientId, open, onClose, admin }: Props) {
  const qc = useQueryClient()
  const navigate = useNavigate()
  const { notify } = useToast()
  const templates = useQuery({
    queryKey: flowKeys.templates,
    queryFn: ({ signal }) => listTemplates(clientId, signal),
    enabled: open,
  })
  const use = useMutation({
    mutationFn: (id: string) => instantiateTemplate(clientId, id),
    onSuccess: (f) => {
      void qc.invalidateQueries({ queryKey: flowKeys.lists })
      notify(`“${f.name}” created from the template`)
      navigate(flowPath(f.id))
    },
  })
  return (
    <Dialog open={open} title="Start from a template" onClose={onClose}>
      <FormError error={use.error} message={use.error ? errorMessage(use.error) : null} className="mb-3" />
      <QueryState query={templates} label="Loading templates…">
        {(items) =>
          items.length === 0 ? (
            <EmptyState title="No templates" />
          ) : (
            <ul className="max-h-[60vh] space-y-3 overflow-y-auto pr-1">
              {items.map((t) => (
                <li key={t.id} className="rounded-lg border border-slate-200 p-3">
                  <div className="flex items-start justify-between gap-3">
                    <div className="min-w-0">
                      <p className="font-medium text-slate-900">{t.name}</p>
                      <p className="mt-1 text-sm text-slate-600">{t.description}</p>
                      <p className="mt-2 flex flex-wrap gap-1">
                        {t.tags.map((tag) => (
                          <Badge key={tag}>{tag}</Badge>
                        ))}
                        <span className="text-xs text-slate-500">{t.graph.nodes.length} nodes</span>
                      </p>
                    </div>
                    {admin && (
                      <Button
                        className="shrink-0 py-1.5"
                        pending={use.isPending && use.variables === t.id}
                        disabled={use.isPending}
                        onClick={() => use.mutate(t.id)}
                        aria-label={`Use template ${t.name}`}
                      >
                        Use
                      </Button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
      {!admin && <p className="mt-3 text-sm text-slate-600">Only admins can make flows from templates.</p>}
      <div className="mt-4 flex justify-end">
        <Button variant="secondary" onClick={onClose}>
          Close
        </Button>
      </div>
    </Dialog>
  )
}
