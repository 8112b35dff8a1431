import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useNavigate } from 'react-router'
import { flowPath } from '../../../../contracts/app-paths.ts'
import { errorMessage, isApiError } from '../../lib/api.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { Field } from '../../ui/Field.tsx'
import { FormError } from '../../ui/FormError.tsx'
import { Textarea } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { compose, flowKeys, graphIssuesOf } from './api.ts'

type Estimate = { credits: string; offline: boolean }

/** Compose a flow from a prompt: the estimate first, then the draft, opened on the canvas. */
export function ComposeDialog({ clientId, open, onClose }: { clientId: string; open: boolean; onClose: () => void }) {
  const qc = useQueryClient()
  const navigate = useNavigate()
  const { notify } = useToast()
  const [prompt, setPrompt] = useState('')
  const [estimate, setEstimate] = useState<{ prompt: string; value: Estimate } | null>(null)
  const tooShort = prompt.trim().length < 3
  const estimateFor = useMutation({
    mutationFn: () => compose(clientId, { prompt: prompt.trim(), estimateOnly: true }),
    onSuccess: (r) => {
      if ('estimate' in r) setEstimate({ prompt: prompt.trim(), value: r.estimate })
    },
  })
  const run = useMutation({
    mutationFn: () => compose(clientId, { prompt: prompt.trim() }),
    onSuccess: (r) => {
      if (!('flow' in r)) return
      void qc.invalidateQueries({ queryKey: flowKeys.lists })
      notify(r.repaired ? 'Flow composed (after fixing a few problems)' : 'Flow composed')
      navigate(flowPath(r.flow.id))
    },
  })
  const current = estimate && estimate.prompt === prompt.trim() ? estimate.value : null
  const error = run.error ?? estimateFor.error
  const issues = isApiError(run.error, 'flows.compose_invalid') ? graphIssuesOf(run.error) : []
  return (
    <Dialog open={open} title="Compose a flow from a prompt" onClose={onClose}>
      <form
        noValidate
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault()
          if (tooShort) return
          if (current) run.mutate()
          else estimateFor.mutate()
        }}
      >
        {issues.length > 0 ? (
          <Alert tone="error" title="The composed flow was not valid">
            <p>Try describing the steps more precisely. What was wrong:</p>
            <ul className="mt-1 list-disc pl-5">
              {issues.map((i, n) => (
                <li key={n}>{i.nodeId ? `${i.nodeId}: ${i.message}` : i.message}</li>
              ))}
            </ul>
          </Alert>
        ) : (
          <FormError error={error} message={error ? errorMessage(error) : null} />
        )}
        <Field
          label="What should the flow do?"
          hint="E.g. “When a lead arrives by webhook, qualify it with AI and email the good ones to sales.”"
        >
          {(c) => (
            <Textarea
              {...c}
              autoFocus
              className="min-h-32"
              maxLength={4000}
              value={prompt}
              onChange={(e) => setPrompt(e.target.value)}
            />
          )}
        </Field>
        {current && (
          <p className="text-sm text-slate-700" aria-live="polite">
            {current.offline ? 'Offline model: free.' : `Composing costs ≈ ${current.credits} credits at most.`}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          {current ? (
            <Button type="submit" pending={run.isPending} disabled={tooShort}>
              Compose
            </Button>
          ) : (
            <Button type="submit" pending={estimateFor.isPending} disabled={tooShort}>
              See the cost
            </Button>
          )}
        </div>
      </form>
    </Dialog>
  )
}
