import { useQuery } from '@tanstack/react-query'
import type { MemberDto } from '../../../../contracts/tenancy.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { cx } from '../../lib/cx.ts'
import { listMembers, memberKeys } from '../members/index.ts'
import type { Thread } from './api.ts'

/** Up to two initials of a name ("Ana Pop" → "AP"); digits of a phone when there is no name. */
export const initialsOf = (name: string) => {
  const words = name.trim().split(/\s+/).filter(Boolean)
  if (words.length === 0) return '?'
  if (words.length === 1) return words[0]!.slice(0, 2).toUpperCase()
  return (words[0]![0]! + words[words.length - 1]![0]!).toUpperCase()
}

/** What a contact is called: the name they set, else their number, else their WhatsApp id. */
export const contactName = (t: Thread) => t.contact.name || (t.contact.phone ? `+${t.contact.phone}` : t.contact.waId)

const PALETTE = ['bg-indigo-100 text-indigo-800', 'bg-emerald-100 text-emerald-800', 'bg-amber-100 text-amber-900']
const toneOf = (key: string) => PALETTE[[...key].reduce((n, ch) => n + ch.charCodeAt(0), 0) % PALETTE.length]!

/** A round badge with initials; decorative unless `label` says whose it is. */
export function Avatar({ name, size = 'md', label }: { name: string; size?: 'sm' | 'md'; label?: string }) {
  return (
    <span
      role={label ? 'img' : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
      title={label}
      className={cx(
        'inline-flex shrink-0 items-center justify-center rounded-full font-semibold',
        size === 'sm' ? 'size-6 text-[0.65rem]' : 'size-10 text-sm',
        toneOf(name),
      )}
    >
      {initialsOf(name)}
    </span>
  )
}

/** The workspace's members (for assignees), by user id; empty while loading or when they cannot be read. */
export const useMembers = () => {
  const { workspace } = useWorkspace()
  const query = useQuery({
    queryKey: memberKeys.members(workspace.id),
    queryFn: ({ signal }) => listMembers(workspace.id, signal),
    staleTime: 60_000,
  })
  const members: MemberDto[] = query.data?.items ?? []
  return { query, members, byId: new Map(members.map((m) => [m.userId, m])) }
}

const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' })
const day = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' })

/** A list's time: the hour today, the day otherwise. */
export const shortTime = (iso: string, now = new Date()) => {
  const d = new Date(iso)
  return d.toDateString() === now.toDateString() ? time.format(d) : day.format(d)
}

export const clockTime = (iso: string) => time.format(new Date(iso))
