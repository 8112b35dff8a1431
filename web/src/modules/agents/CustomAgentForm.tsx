import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import type { AgentAvatarKey, AgentDto, AgentPatch } from '../../../../contracts/agents.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { splitApiError } from '../../lib/form-errors.ts'
import { FormError } from '../../ui/FormError.tsx'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Textarea } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { DEFAULT_TOOLS, TOOL_OPTIONS, agentKeys, createAgent, updateAgent } from './api.ts'
import type { ToolId } from './api.ts'
import { ModelSelect } from './ModelSelect.tsx'
import { AvatarChoice, AvatarPicture } from './AvatarPicker.tsx'

const FIELDS = ['name', 'avatar', 'description', 'instructions', 'modelId', 'tools'] as const
type Values = {
  name: string
  avatar: AgentAvatarKey
  description: string
  instructions: string
  modelId: string
  tools: ToolId[]
}
type Errors = Partial<Record<(typeof FIELDS)[number], string>>

const validate = (v: Values, creating: boolean): Errors => {
  const e: Errors = {}
  if (!v.name.trim()) e.name = 'Give the agent a name, e.g. “Social Media Manager”.'
  if (creating && !v.instructions.trim())
    e.instructions = 'Tell the agent what it does, how it works and what it must not do.'
  return e
}

/** Only what changed; empty instructions keep the current ones (the server does not send them back). */
const diff = (a: AgentDto, v: Values): AgentPatch => ({
  ...(v.name.trim() !== a.name ? { name: v.name.trim() } : {}),
  ...(v.avatar !== a.avatar ? { avatar: v.avatar } : {}),
  ...(v.description.trim() !== a.description ? { description: v.description.trim() } : {}),
  ...(v.instructions.trim() ? { instructions: v.instructions.trim() } : {}),
  ...((v.modelId || null) !== a.modelId ? { modelId: v.modelId || null } : {}),
  ...([...v.tools].sort().join() !== [...a.tools].sort().join() ? { tools: v.tools } : {}),
})

/** Creates a workspace agent, or edits one (`agent`). */
export function CustomAgentForm({ agent, onDone }: { agent?: AgentDto; onDone: () => void }) {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [v, setV] = useState<Values>({
    name: agent?.name ?? '',
    avatar: agent?.avatar ?? 'initials',
    description: agent?.description ?? '',
    instructions: '',
    modelId: agent?.modelId ?? '',
    tools: (agent?.tools as ToolId[] | undefined) ?? DEFAULT_TOOLS,
  })
  const [local, setLocal] = useState<Errors>({})
  const save = useMutation({
    mutationFn: () => {
      if (agent) return updateAgent(agent.id, diff(agent, v))
      return createAgent(workspace.id, {
        name: v.name.trim(),
        instructions: v.instructions.trim(),
        tools: v.tools,
        avatar: v.avatar,
        ...(v.description.trim() ? { description: v.description.trim() } : {}),
        ...(v.modelId ? { modelId: v.modelId } : {}),
      })
    },
    onSuccess: async (saved) => {
      notify(agent ? `${saved.name} saved` : `${saved.name} created`)
      onDone()
      await qc.invalidateQueries({ queryKey: agentKeys.all })
    },
  })
  const server = splitApiError(save.error, FIELDS)
  const errors = { ...server.fields, ...local }
  const set = <K extends keyof Values>(k: K, value: Values[K]) => setV((old) => ({ ...old, [k]: value }))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const found = validate(v, !agent)
    setLocal(found)
    if (Object.keys(found).length > 0) return
    if (agent && Object.keys(diff(agent, v)).length === 0) return onDone()
    save.mutate()
  }
  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      <FormError error={save.error} message={server.form} />
      <Field label="Agent name" error={errors.name}>
        {(p) => (
          <Input
            {...p}
            maxLength={80}
            value={v.name}
            onChange={(e) => set('name', e.target.value)}
            placeholder="Social Media Manager"
          />
        )}
      </Field>
      <AvatarChoice value={v.avatar} onChange={(key) => set('avatar', key)} name={v.name} agentId={agent?.id} />
      {errors.avatar && <p className="text-sm text-red-700">{errors.avatar}</p>}
      {agent ? (
        <AvatarPicture agent={agent} />
      ) : (
        <p className="text-xs text-slate-500">Once the agent is created, you can also give it a picture of its own.</p>
      )}
      <Field label="Description" error={errors.description} hint="One line shown on the agent’s card.">
        {(p) => (
          <Input {...p} maxLength={300} value={v.description} onChange={(e) => set('description', e.target.value)} />
        )}
      </Field>
      <Field
        label="Instructions"
        error={errors.instructions}
        hint={
          agent
            ? 'The current instructions are kept unless you write new ones here.'
            : 'Its role, how it works, what it must not do.'
        }
      >
        {(p) => (
          <Textarea
            {...p}
            rows={6}
            maxLength={20_000}
            value={v.instructions}
            onChange={(e) => set('instructions', e.target.value)}
            placeholder={
              agent ? 'Leave empty to keep the current instructions' : 'You plan and write social posts for the client…'
            }
          />
        )}
      </Field>
      <ModelSelect value={v.modelId} onChange={(m) => set('modelId', m)} error={errors.modelId} />
      <fieldset>
        <legend className="text-sm font-medium text-slate-800">Tools</legend>
        {errors.tools && <p className="text-sm text-red-700">{errors.tools}</p>}
        <ul className="mt-1 space-y-1.5">
          {TOOL_OPTIONS.map((t) => (
            <li key={t.id}>
              <label className="flex items-start gap-2 text-sm text-slate-800">
                <input
                  type="checkbox"
                  className="mt-0.5 size-4 rounded border-slate-300"
                  checked={v.tools.includes(t.id)}
                  onChange={(e) =>
                    set('tools', e.target.checked ? [...v.tools, t.id] : v.tools.filter((x) => x !== t.id))
                  }
                />
                <span>
                  {t.label} <span className="text-slate-500">— {t.hint}</span>
                </span>
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      <div className="flex gap-2">
        <Button type="submit" pending={save.isPending}>
          {agent ? 'Save changes' : 'Create agent'}
        </Button>
        <Button variant="secondary" onClick={onDone} disabled={save.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  )
}
