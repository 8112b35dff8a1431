import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { useNavigate } from 'react-router'
import type { AgentDto } from '../../../../contracts/agents.ts'
import { splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select, Textarea } from '../../ui/Input.tsx'
import { MAX_AGENTS, MAX_ROUNDS, MIN_AGENTS, boardroomKeys, createMeeting } from './api.ts'
import type { MeetingCreateBody } from './api.ts'
import { cx } from '../../lib/cx.ts'
import { AgentAvatar } from '../../ui/AgentAvatar.tsx'

type Errors = { topic?: string; agentIds?: string; rounds?: string }

const validate = (topic: string, agentIds: string[]): Errors => {
  const errors: Errors = {}
  if (topic.trim().length < 3)
    errors.topic = 'Describe the topic in at least 3 characters, e.g. “Plan the spring campaign”.'
  if (agentIds.length < MIN_AGENTS)
    errors.agentIds = `Pick at least ${MIN_AGENTS} agents: a meeting needs more than one voice.`
  else if (agentIds.length > MAX_AGENTS) errors.agentIds = `At most ${MAX_AGENTS} agents fit at the table.`
  return errors
}

/** Topic, 2–5 agents and 1–3 rounds; starting opens the meeting, which streams live. */
export function NewMeetingForm({ clientId, agents }: { clientId: string; agents: AgentDto[] }) {
  const id = useId()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const [topic, setTopic] = useState('')
  const [selected, setSelected] = useState<string[]>([])
  const [rounds, setRounds] = useState('1')
  const [local, setLocal] = useState<Errors>({})
  const start = useMutation({
    mutationFn: (body: MeetingCreateBody) => createMeeting(clientId, body),
    meta: { success: 'Meeting started.' },
    onSuccess: (meeting) => {
      qc.setQueryData(boardroomKeys.meeting(meeting.id), meeting)
      void qc.invalidateQueries({ queryKey: boardroomKeys.lists })
      navigate(`/app/boardroom/${encodeURIComponent(meeting.id)}`)
    },
  })
  const server = splitApiError(start.error, ['topic', 'agentIds', 'rounds'] as const)
  const errors = { ...server.fields, ...local }
  const toggle = (agentId: string, on: boolean) =>
    setSelected((s) => (on ? [...s, agentId] : s.filter((x) => x !== agentId)))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const found = validate(topic, selected)
    setLocal(found)
    if (Object.keys(found).length === 0)
      start.mutate({ topic: topic.trim(), agentIds: selected, rounds: Number(rounds) })
  }
  const full = selected.length >= MAX_AGENTS

  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      {server.form && <Alert tone="error">{server.form}</Alert>}
      <Field label="Topic" error={errors.topic} hint="What should the agents discuss? They see this client’s brief.">
        {(p) => (
          <Textarea
            {...p}
            rows={3}
            maxLength={2000}
            value={topic}
            onChange={(e) => setTopic(e.target.value)}
            placeholder="How should we split next quarter’s budget between search and social?"
          />
        )}
      </Field>
      <fieldset aria-describedby={`${id}-agents-hint${errors.agentIds ? ` ${id}-agents-error` : ''}`}>
        <legend className="text-sm font-medium text-slate-800">Agents</legend>
        <p id={`${id}-agents-hint`} className="text-xs text-slate-500">
          Pick {MIN_AGENTS} to {MAX_AGENTS}. They speak in the order you pick them. {selected.length} selected.
        </p>
        <ul className="mt-2 grid gap-2 sm:grid-cols-2">
          {agents.map((a) => {
            const checked = selected.includes(a.id)
            return (
              <li key={a.id}>
                <div
                  className={cx(
                    'relative flex items-center gap-2 rounded-md border px-3 py-2 text-sm',
                    checked ? 'border-indigo-300 bg-indigo-50' : 'border-slate-200 bg-white',
                    !checked && full && 'opacity-60',
                  )}
                >
                  <input
                    id={`${id}-agent-${a.id}`}
                    type="checkbox"
                    className="relative z-10 size-4 rounded border-slate-300"
                    checked={checked}
                    disabled={!checked && full}
                    onChange={(e) => toggle(a.id, e.target.checked)}
                  />
                  <AgentAvatar agent={a} size={24} />
                  {/* The label is the agent's name alone; its ::after covers the card so a click anywhere toggles it. */}
                  <label
                    htmlFor={`${id}-agent-${a.id}`}
                    className="font-medium text-slate-900 after:absolute after:inset-0"
                  >
                    {a.name}
                  </label>
                  {checked && (
                    <span aria-hidden="true" className="ml-auto text-xs text-indigo-700">
                      #{selected.indexOf(a.id) + 1}
                    </span>
                  )}
                </div>
              </li>
            )
          })}
        </ul>
        {errors.agentIds && (
          <p id={`${id}-agents-error`} className="mt-1 text-sm text-red-700">
            {errors.agentIds}
          </p>
        )}
      </fieldset>
      <div className="flex flex-wrap items-end gap-4">
        <Field label="Rounds" error={errors.rounds} className="w-40">
          {(p) => (
            <Select {...p} value={rounds} onChange={(e) => setRounds(e.target.value)}>
              {Array.from({ length: MAX_ROUNDS }, (_, i) => (
                <option key={i} value={i + 1}>
                  {i + 1}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Button type="submit" pending={start.isPending}>
          Start meeting
        </Button>
      </div>
    </form>
  )
}
