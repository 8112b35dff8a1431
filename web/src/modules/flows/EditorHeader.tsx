import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { FLOWS_PATH } from '../../../../contracts/app-paths.ts'
import type { FlowDto } from '../../../../contracts/flows.ts'
import { errorMessage } from '../../lib/api.ts'
import { cx } from '../../lib/cx.ts'
import { formatDateTime } from '../../lib/format.ts'
import { Badge } from '../../ui/Badge.tsx'
import { Button } from '../../ui/Button.tsx'
import { Input } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { changeState, exportFlow, flowKeys } from './api.ts'
import type { StateAction } from './api.ts'
import { downloadJson, slug } from './download.ts'
import { FLOW_STATE_LABEL, FLOW_STATE_TONE } from './status.ts'
import type { SaveStatus } from './use-autosave.ts'

type Props = {
  flow: FlowDto
  name: string
  onName: (name: string) => void
  editable: boolean
  admin: boolean
  member: boolean
  save: { status: SaveStatus }
  validation: { checking: boolean; valid: boolean; failed: boolean; issues: unknown[] }
  canUndo: boolean
  canRedo: boolean
  onUndo: () => void
  onRedo: () => void
  onPublish: () => void
  publishing: boolean
  onRun: () => void
  onWebhook: () => void
  /** The draft starts with a webhook trigger. */
  hasWebhook: boolean
}

const SAVE_LABEL: Record<SaveStatus, string> = {
  saved: 'All changes saved',
  pending: 'Unsaved changes…',
  saving: 'Saving…',
  error: 'Not saved',
  stale: 'Not saved (changed elsewhere)',
}

const STATE_ACTIONS: Record<FlowDto['state'], { action: StateAction; label: string }[]> = {
  active: [
    { action: 'pause', label: 'Pause' },
    { action: 'archive', label: 'Archive' },
  ],
  paused: [
    { action: 'resume', label: 'Resume' },
    { action: 'archive', label: 'Archive' },
  ],
  archived: [{ action: 'restore', label: 'Restore' }],
}

const DONE: Record<StateAction, string> = {
  pause: 'Flow paused',
  resume: 'Flow resumed',
  archive: 'Flow archived',
  restore: 'Flow restored',
}

/** The flow's name, state and version, save and check status, and its actions. */
export function EditorHeader(props: Props) {
  const { flow, editable, admin, member, save, validation } = props
  const qc = useQueryClient()
  const { notify } = useToast()
  const [nameDraft, setNameDraft] = useState<string | null>(null)
  const state = useMutation({
    mutationFn: (action: StateAction) => changeState(flow.id, action),
    onSuccess: (f, action) => {
      qc.setQueryData(flowKeys.flow(flow.id), f)
      void qc.invalidateQueries({ queryKey: flowKeys.lists })
      notify(DONE[action])
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  })
  const download = useMutation({
    mutationFn: () => exportFlow(flow.id),
    meta: { success: 'Flow exported.' },
    onSuccess: (data) => downloadJson(data, `${slug(flow.name)}.flow.json`),
    onError: (e) => notify(errorMessage(e), 'error'),
  })
  const dirty = save.status !== 'saved'
  return (
    <header className="space-y-2">
      <Link to={FLOWS_PATH} className="text-sm font-medium text-indigo-700 hover:underline">
        ← Flows
      </Link>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        {editable ? (
          <div className="min-w-0 flex-1 basis-60">
            <label htmlFor="flow-name" className="sr-only">
              Flow name
            </label>
            <Input
              id="flow-name"
              maxLength={80}
              aria-invalid={nameDraft !== null || undefined}
              className="text-lg font-semibold"
              value={nameDraft ?? props.name}
              onChange={(e) => {
                if (e.target.value.trim()) {
                  setNameDraft(null)
                  props.onName(e.target.value)
                } else setNameDraft(e.target.value)
              }}
            />
            {nameDraft !== null && <p className="text-sm text-red-700">A flow needs a name.</p>}
          </div>
        ) : (
          <h1 className="min-w-0 flex-1 truncate text-2xl font-semibold tracking-tight text-slate-900">{flow.name}</h1>
        )}
        <Badge tone={FLOW_STATE_TONE[flow.state]}>{FLOW_STATE_LABEL[flow.state]}</Badge>
        <span className="text-sm text-slate-600">
          {flow.publishedVersion
            ? `v${flow.publishedVersion.number}, published ${formatDateTime(flow.publishedVersion.publishedAt)}`
            : 'Not published'}
        </span>
        {(flow.unpublishedChanges || dirty) && (
          <span className="flex items-center gap-1 text-sm text-amber-800">
            <span aria-hidden="true" className="size-2 rounded-full bg-amber-500" />
            Unpublished changes
          </span>
        )}
      </div>
      <div className="flex flex-wrap items-center gap-2">
        {editable && (
          <>
            <Button
              variant="secondary"
              className="py-1.5"
              disabled={!props.canUndo}
              onClick={props.onUndo}
              aria-keyshortcuts="Control+Z"
            >
              Undo
            </Button>
            <Button
              variant="secondary"
              className="py-1.5"
              disabled={!props.canRedo}
              onClick={props.onRedo}
              aria-keyshortcuts="Control+Shift+Z"
            >
              Redo
            </Button>
          </>
        )}
        {member && (
          <Button variant="secondary" className="py-1.5" onClick={props.onRun} disabled={flow.state === 'archived'}>
            Run with test input
          </Button>
        )}
        {admin && (
          <Button
            className="py-1.5"
            onClick={props.onPublish}
            pending={props.publishing}
            disabled={flow.state === 'archived'}
          >
            Publish
          </Button>
        )}
        {(flow.webhook || props.hasWebhook) && (
          <Button variant="secondary" className="py-1.5" onClick={props.onWebhook}>
            Webhook URL
          </Button>
        )}
        <Button variant="ghost" className="py-1.5" pending={download.isPending} onClick={() => download.mutate()}>
          Export
        </Button>
        <Link
          to={`${FLOWS_PATH}?tab=runs&flowId=${encodeURIComponent(flow.id)}`}
          className="px-2 py-1.5 text-sm font-medium text-indigo-700 hover:underline"
        >
          Runs
        </Link>
        {admin &&
          STATE_ACTIONS[flow.state].map((a) => (
            <Button
              key={a.action}
              variant="ghost"
              className="py-1.5"
              pending={state.isPending && state.variables === a.action}
              disabled={state.isPending}
              onClick={() => state.mutate(a.action)}
            >
              {a.label}
            </Button>
          ))}
        <p className="ml-auto flex flex-wrap gap-3 text-xs text-slate-500" aria-live="polite">
          {editable && (
            <span className={cx(save.status === 'error' || save.status === 'stale' ? 'text-red-700' : '')}>
              {SAVE_LABEL[save.status]}
            </span>
          )}
          <span>
            {validation.checking
              ? 'Checking…'
              : validation.failed
                ? 'Could not check the flow'
                : validation.valid
                  ? 'No problems found'
                  : `${validation.issues.length} ${validation.issues.length === 1 ? 'problem' : 'problems'}`}
          </span>
        </p>
      </div>
      {flow.state === 'archived' && (
        <p className="text-sm text-slate-600">This flow is archived: restore it to edit or run it.</p>
      )}
    </header>
  )
}
