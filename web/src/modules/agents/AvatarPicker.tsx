import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useId, useRef, useState } from 'react'
import type { ChangeEvent } from 'react'
import {
  AGENT_AVATAR_MAX_BYTES,
  AGENT_AVATAR_TYPES,
  BUILTIN_AVATAR_KEYS,
  type AgentAvatarKey,
  type AgentDto,
} from '../../../../contracts/agents.ts'
import { notifyError } from '../../lib/error-toast.ts'
import { cx } from '../../lib/cx.ts'
import { AgentAvatar } from '../../ui/AgentAvatar.tsx'
import { Button } from '../../ui/Button.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { agentKeys, removeAgentAvatar, uploadAgentAvatar } from './api.ts'

const CHOICES: { key: AgentAvatarKey; label: string }[] = [
  { key: 'initials', label: 'Initials' },
  ...BUILTIN_AVATAR_KEYS.map((key) => ({
    key,
    label: {
      strategist: 'Compass',
      ppc: 'Rising chart',
      seo: 'Magnifier',
      copywriter: 'Pencil',
      analyst: 'Bars',
      support: 'Speech bubble',
    }[key],
  })),
]

/** The avatar a custom agent is drawn with: initials or one of the designs (radio buttons, arrow keys move). */
export function AvatarChoice({
  value,
  onChange,
  name,
  agentId,
}: {
  value: AgentAvatarKey
  onChange: (key: AgentAvatarKey) => void
  name: string
  agentId: string | undefined
}) {
  const group = useId()
  return (
    <fieldset>
      <legend className="text-sm font-medium text-slate-800">Avatar</legend>
      <div className="mt-1 flex flex-wrap gap-2">
        {CHOICES.map((c) => (
          <label
            key={c.key}
            title={c.label}
            className={cx(
              'flex cursor-pointer items-center rounded-full p-0.5 ring-2',
              'has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-indigo-600',
              value === c.key ? 'ring-indigo-600' : 'ring-transparent hover:ring-slate-300',
            )}
          >
            <input
              type="radio"
              name={group}
              value={c.key}
              checked={value === c.key}
              onChange={() => onChange(c.key)}
              className="sr-only"
            />
            <AgentAvatar agent={{ id: agentId ?? 'new', name: name || 'Agent', avatar: c.key }} size={36} />
            <span className="sr-only">{c.label}</span>
          </label>
        ))}
      </div>
    </fieldset>
  )
}

/** Checks a chosen file before it is sent: the server reads the type from the bytes and answers the same way. */
export const pictureProblem = (file: File): string | null => {
  if (!(AGENT_AVATAR_TYPES as readonly string[]).includes(file.type)) return 'Use a PNG, JPEG or WebP picture.'
  if (file.size > AGENT_AVATAR_MAX_BYTES)
    return `The picture is too large: at most ${AGENT_AVATAR_MAX_BYTES / 1024} KiB.`
  return null
}

/** A custom agent's uploaded picture: upload (replacing the one before) or remove it, each with a toast. */
export function AvatarPicture({ agent }: { agent: AgentDto }) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const inputId = useId()
  const input = useRef<HTMLInputElement>(null)
  const [problem, setProblem] = useState<string | null>(null)
  // The picture as last answered by the server (the list refreshes after; this shows it at once).
  const [shown, setShown] = useState<string | null>(agent.avatarImage)
  const done = async (message: string, image: string | null) => {
    setShown(image)
    notify(message)
    await qc.invalidateQueries({ queryKey: agentKeys.all })
  }
  const upload = useMutation({
    mutationFn: (file: File) => uploadAgentAvatar(agent.id, file),
    onSuccess: (saved) => done(`Picture of ${saved.name} uploaded`, saved.avatarImage),
    onError: (e) => notifyError(notify, e),
  })
  const remove = useMutation({
    mutationFn: () => removeAgentAvatar(agent.id),
    onSuccess: () => done(`Picture of ${agent.name} removed`, null),
    onError: (e) => notifyError(notify, e),
  })
  const chosen = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0]
    e.target.value = ''
    if (!file) return
    const found = pictureProblem(file)
    setProblem(found)
    if (!found) upload.mutate(file)
  }
  const errorId = `${inputId}-error`
  return (
    <div className="space-y-1">
      <p className="text-sm font-medium text-slate-800">Picture</p>
      <div className="flex flex-wrap items-center gap-3">
        <AgentAvatar agent={{ ...agent, avatarImage: shown }} size={56} />
        <input
          ref={input}
          id={inputId}
          type="file"
          accept={AGENT_AVATAR_TYPES.join(',')}
          tabIndex={-1}
          aria-label={`Picture of ${agent.name}`}
          className="sr-only"
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? errorId : undefined}
          onChange={chosen}
        />
        <Button variant="secondary" pending={upload.isPending} onClick={() => input.current?.click()}>
          {shown ? 'Replace picture' : 'Upload a picture'}
        </Button>
        {shown && (
          <Button variant="ghost" pending={remove.isPending} onClick={() => remove.mutate()}>
            Remove picture
          </Button>
        )}
      </div>
      <p className="text-xs text-slate-500">
        PNG, JPEG or WebP, up to {AGENT_AVATAR_MAX_BYTES / 1024} KiB; shown instead of the avatar above.
      </p>
      {problem && (
        <p id={errorId} role="alert" className="text-sm text-red-700">
          {problem}
        </p>
      )}
    </div>
  )
}
