import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import type { FlowDto } from '../../../../contracts/flows.ts'
import { errorMessage } from '../../lib/api.ts'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { Field } from '../../ui/Field.tsx'
import { FormError } from '../../ui/FormError.tsx'
import { Textarea } from '../../ui/Input.tsx'
import { startRun } from './api.ts'

type Props = {
  flow: FlowDto
  open: boolean
  onClose: () => void
  /** Admins may test the draft; members run the published version. */
  admin: boolean
  /** Saves the draft first (a draft run snapshots what the server has). */
  beforeDraftRun: () => Promise<void>
  onStarted: (runId: string) => void
}

/** "Run with test input": a JSON input, the draft or the published version, then the live console opens. */
export function TestRunDialog({ flow, open, onClose, admin, beforeDraftRun, onStarted }: Props) {
  const [text, setText] = useState('{}')
  const published = flow.publishedVersion !== null
  const [draft, setDraft] = useState(admin && (!published || flow.unpublishedChanges))
  const parsed = (() => {
    if (!text.trim()) return { ok: true as const, value: undefined }
    try {
      return { ok: true as const, value: JSON.parse(text) as unknown }
    } catch (e) {
      return { ok: false as const, message: e instanceof Error ? e.message : 'Not valid JSON.' }
    }
  })()
  const run = useMutation({
    mutationFn: async () => {
      if (!parsed.ok) throw new Error('The input is not valid JSON.')
      if (draft) await beforeDraftRun()
      return startRun(flow.id, { input: parsed.value, ...(draft ? { draft: true } : {}) })
    },
    meta: { success: 'Run started.' },
    onSuccess: (r) => {
      onStarted(r.runId)
      onClose()
    },
  })
  const canRun = draft || published
  return (
    <Dialog open={open} title="Run with test input" onClose={onClose}>
      <form
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault()
          if (parsed.ok && canRun) run.mutate()
        }}
      >
        <FormError error={run.error} message={run.error ? errorMessage(run.error) : null} />
        <Field
          label="Input (JSON)"
          hint="What the trigger hands to the first node, e.g. a webhook body."
          error={parsed.ok ? null : `Not valid JSON: ${parsed.message}`}
        >
          {(control) => (
            <Textarea
              {...control}
              className="min-h-40 font-mono"
              spellCheck={false}
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
          )}
        </Field>
        {admin ? (
          <fieldset className="space-y-1">
            <legend className="text-sm font-medium text-slate-800">Version</legend>
            <label className="flex items-center gap-2 text-sm text-slate-700">
              <input type="radio" name="version" checked={draft} onChange={() => setDraft(true)} />
              The draft (as it is on the canvas)
            </label>
            <label className="flex items-center gap-2 text-sm text-slate-700">
              <input
                type="radio"
                name="version"
                disabled={!published}
                checked={!draft}
                onChange={() => setDraft(false)}
              />
              The published version{published ? ` (v${flow.publishedVersion?.number})` : ' (none yet)'}
            </label>
          </fieldset>
        ) : (
          !published && (
            <p className="text-sm text-amber-800">This flow is not published yet: an admin has to publish it first.</p>
          )
        )}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" pending={run.isPending} disabled={!parsed.ok || !canRun}>
            Run
          </Button>
        </div>
      </form>
    </Dialog>
  )
}
