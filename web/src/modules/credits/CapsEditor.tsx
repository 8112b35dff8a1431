import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { ConfirmDialog } from '../../ui/Dialog.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import { Table, Td } from '../../ui/Table.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { creditKeys, putCap } from './api.ts'
import type { CapPut, LimitsDto } from './api.ts'
import { creditsInput, formatCredits, parseCredits } from '../../lib/credits.ts'
import type { Names } from './queries.ts'

type Cap = LimitsDto['caps'][number]
type Kind = Cap['subjectKind']
type Draft = { subjectKind: Kind; subjectId: string; daily: string; monthly: string }
const EMPTY: Draft = { subjectKind: 'workspace', subjectId: '', daily: '', monthly: '' }

export const capSubject = (c: { subjectKind: Kind; subjectId: string }, names: Names) =>
  c.subjectKind === 'workspace'
    ? 'The whole workspace'
    : c.subjectKind === 'client'
      ? `Client: ${names.client(c.subjectId)}`
      : `Member: ${names.user(c.subjectId)}`

/** Daily and monthly caps on the workspace, a client or a member: a table, a form to set one, and removal. */
export function CapsEditor({ caps, names, editable }: { caps: Cap[]; names: Names; editable: boolean }) {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [draft, setDraft] = useState<Draft>(EMPTY)
  const [errors, setErrors] = useState<Partial<Record<keyof Draft, string>>>({})
  const [removing, setRemoving] = useState<Cap | null>(null)
  const saved = async (next: LimitsDto) => {
    qc.setQueryData(creditKeys.limits(workspace.id), next)
    await qc.invalidateQueries({ queryKey: creditKeys.all(workspace.id) })
  }
  const save = useMutation({
    mutationFn: (body: CapPut) => putCap(workspace.id, body),
    onSuccess: async (next) => {
      notify('Cap saved')
      setDraft(EMPTY)
      await saved(next)
    },
  })
  const remove = useMutation({
    mutationFn: (c: Cap) =>
      putCap(workspace.id, { subjectKind: c.subjectKind, subjectId: c.subjectId, daily: null, monthly: null }),
    onSuccess: async (next) => {
      notify('Cap removed')
      setRemoving(null)
      await saved(next)
    },
  })
  const server = splitApiError(save.error, ['subjectKind', 'subjectId', 'daily', 'monthly'] as const)
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }))
  const edit = (c: Cap) => {
    save.reset()
    setErrors({})
    setDraft({
      subjectKind: c.subjectKind,
      subjectId: c.subjectId,
      daily: creditsInput(c.daily),
      monthly: creditsInput(c.monthly),
    })
    document.getElementById('cap-form')?.querySelector<HTMLElement>('select')?.focus()
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const found: typeof errors = {}
    const daily = parseCredits(draft.daily)
    const monthly = parseCredits(draft.monthly)
    if (draft.subjectKind !== 'workspace' && !draft.subjectId)
      found.subjectId = `Choose a ${draft.subjectKind === 'client' ? 'client' : 'member'}.`
    if (daily !== null && (Number.isNaN(daily) || daily <= 0))
      found.daily = 'A positive number of credits, or empty for none.'
    if (monthly !== null && (Number.isNaN(monthly) || monthly <= 0))
      found.monthly = 'A positive number of credits, or empty for none.'
    if (!found.daily && !found.monthly && daily === null && monthly === null)
      found.daily = 'Set a daily or a monthly cap (use Remove to drop a cap).'
    setErrors(found)
    if (Object.keys(found).length) return
    save.mutate({
      subjectKind: draft.subjectKind,
      subjectId: draft.subjectKind === 'workspace' ? '' : draft.subjectId,
      daily,
      monthly,
    })
  }
  return (
    <div className="space-y-6">
      {caps.length === 0 ? (
        <p className="text-sm text-slate-600">No caps: only the balance limits spending.</p>
      ) : (
        <Table
          caption="Spending caps"
          columns={[
            'Applies to',
            'Daily',
            'Monthly',
            ...(editable
              ? [
                  <span key="a" className="sr-only">
                    Actions
                  </span>,
                ]
              : []),
          ]}
        >
          {caps.map((c) => (
            <tr key={`${c.subjectKind}:${c.subjectId}`}>
              <Td className="font-medium text-slate-900">{capSubject(c, names)}</Td>
              <Td className="tabular-nums">{c.daily === null ? '—' : `${formatCredits(c.daily)} credits`}</Td>
              <Td className="tabular-nums">{c.monthly === null ? '—' : `${formatCredits(c.monthly)} credits`}</Td>
              {editable && (
                <Td className="text-right whitespace-nowrap">
                  <Button
                    variant="ghost"
                    aria-label={`Edit the cap of ${capSubject(c, names)}`}
                    onClick={() => edit(c)}
                  >
                    Edit
                  </Button>
                  <Button
                    variant="ghost"
                    className="text-red-700"
                    aria-label={`Remove the cap of ${capSubject(c, names)}`}
                    onClick={() => {
                      remove.reset()
                      setRemoving(c)
                    }}
                  >
                    Remove
                  </Button>
                </Td>
              )}
            </tr>
          ))}
        </Table>
      )}
      {editable && (
        <form id="cap-form" onSubmit={submit} noValidate className="space-y-4 rounded-lg border border-slate-200 p-4">
          <h3 className="font-medium text-slate-900">Set a cap</h3>
          {server.form && <Alert tone="error">{server.form}</Alert>}
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Applies to" error={server.fields.subjectKind}>
              {(p) => (
                <Select
                  {...p}
                  value={draft.subjectKind}
                  onChange={(e) => set({ subjectKind: e.target.value as Kind, subjectId: '' })}
                >
                  <option value="workspace">The whole workspace</option>
                  <option value="client">A client</option>
                  <option value="user">A member</option>
                </Select>
              )}
            </Field>
            {draft.subjectKind !== 'workspace' && (
              <Field
                label={draft.subjectKind === 'client' ? 'Client' : 'Member'}
                error={errors.subjectId ?? server.fields.subjectId}
              >
                {(p) => (
                  <Select {...p} value={draft.subjectId} onChange={(e) => set({ subjectId: e.target.value })}>
                    <option value="">Choose…</option>
                    {draft.subjectKind === 'client'
                      ? names.clients.map((c) => (
                          <option key={c.id} value={c.id}>
                            {c.name}
                          </option>
                        ))
                      : names.members.map((m) => (
                          <option key={m.userId} value={m.userId}>
                            {m.name}
                          </option>
                        ))}
                  </Select>
                )}
              </Field>
            )}
            <Field
              label="Daily cap (credits)"
              className="sm:col-start-1"
              hint="Resets at midnight UTC. Empty: none."
              error={errors.daily ?? server.fields.daily}
            >
              {(p) => (
                <Input
                  {...p}
                  inputMode="decimal"
                  value={draft.daily}
                  onChange={(e) => set({ daily: e.target.value })}
                />
              )}
            </Field>
            <Field
              label="Monthly cap (credits)"
              hint="Resets on the 1st (UTC). Empty: none."
              error={errors.monthly ?? server.fields.monthly}
            >
              {(p) => (
                <Input
                  {...p}
                  inputMode="decimal"
                  value={draft.monthly}
                  onChange={(e) => set({ monthly: e.target.value })}
                />
              )}
            </Field>
          </div>
          <p className="text-xs text-slate-500">
            Members see a warning at 80 % of a cap; at 100 % new AI calls are refused.
          </p>
          <div className="flex gap-2">
            <Button type="submit" pending={save.isPending}>
              Save cap
            </Button>
            {draft !== EMPTY && (
              <Button
                variant="ghost"
                onClick={() => {
                  setDraft(EMPTY)
                  setErrors({})
                  save.reset()
                }}
              >
                Clear
              </Button>
            )}
          </div>
        </form>
      )}
      <ConfirmDialog
        open={removing !== null}
        title="Remove this cap?"
        message={removing ? `${capSubject(removing, names)} will no longer have a daily or monthly cap.` : ''}
        confirmLabel="Remove cap"
        pending={remove.isPending}
        error={remove.isError ? errorMessage(remove.error) : null}
        onConfirm={() => removing && remove.mutate(removing)}
        onCancel={() => setRemoving(null)}
      />
    </div>
  )
}
