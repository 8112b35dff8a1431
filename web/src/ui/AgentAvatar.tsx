import { useId, useState } from 'react'
import type { ReactNode } from 'react'
import type { BuiltinAvatarKey } from '../../../contracts/agents.ts'
import { cx } from '../lib/cx.ts'
import { initialsColor, initialsOf } from './agent-avatar-colors.ts'

/** What an avatar is drawn from: the agent's design key (`avatar`), its uploaded picture, its name and id. */
export type AvatarAgent = { id: string; name: string; avatar: string; avatarImage?: string | null }

type Design = { from: string; to: string; glyph: ReactNode }

const white = { stroke: '#fff', fill: 'none', strokeLinecap: 'round', strokeLinejoin: 'round' } as const

/**
 * The built-in agents' designs: a glyph of the role on a two-tone ground, drawn in a 48-unit box and kept well inside
 * its circle (every point within 16 units of the centre), so nothing is cut at any size.
 */
const DESIGNS: Record<BuiltinAvatarKey, Design> = {
  // Personal Assistant: a compass, the one who sets direction and routes.
  strategist: {
    from: '#4338ca',
    to: '#7c3aed',
    glyph: (
      <>
        <circle cx="24" cy="24" r="13" {...white} strokeWidth="2.2" opacity="0.9" />
        <g fill="#fff" opacity="0.55">
          <circle cx="24" cy="13.8" r="0.9" />
          <circle cx="34.2" cy="24" r="0.9" />
          <circle cx="24" cy="34.2" r="0.9" />
          <circle cx="13.8" cy="24" r="0.9" />
        </g>
        <g transform="rotate(38 24 24)">
          <path d="M24 14.5 27.6 24h-7.2z" fill="#fff" />
          <path d="M20.4 24h7.2L24 33.5z" fill="#fff" opacity="0.45" />
        </g>
        <circle cx="24" cy="24" r="1.7" fill="#4338ca" />
      </>
    ),
  },
  // PPC Specialist: a line rising to an arrow, on a baseline.
  ppc: {
    from: '#047857',
    to: '#0d9488',
    glyph: (
      <>
        <path d="M13.5 34.5h21" {...white} strokeWidth="2" opacity="0.5" />
        <path d="m13.5 29 6.5-6.5 5 4 9.5-10" {...white} strokeWidth="2.6" />
        <path d="M28.5 16.5h6v6" {...white} strokeWidth="2.6" />
      </>
    ),
  },
  // SEO & Content Strategist: a magnifier with a glint.
  seo: {
    from: '#0369a1',
    to: '#2563eb',
    glyph: (
      <>
        <circle cx="21.5" cy="21.5" r="8" {...white} strokeWidth="2.6" />
        <path d="M17.6 20a4.3 4.3 0 0 1 3.2-3.3" {...white} strokeWidth="1.8" opacity="0.7" />
        <path d="m27.4 27.4 6.1 6.1" {...white} strokeWidth="3.4" />
      </>
    ),
  },
  // Copywriter: a pencil writing a line.
  copywriter: {
    from: '#b45309',
    to: '#ea580c',
    glyph: (
      <>
        <path d="M15.5 32.5 17 27l11.5-11.5a2.8 2.8 0 0 1 4 4L21 31z" {...white} strokeWidth="2.3" />
        <path d="m26.3 17.7 4 4" {...white} strokeWidth="2.3" />
        <path d="M24.5 34.5h8" {...white} strokeWidth="2" opacity="0.55" />
      </>
    ),
  },
  // Data Analyst: three bars, growing.
  analyst: {
    from: '#7e22ce',
    to: '#c026d3',
    glyph: (
      <g fill="#fff">
        <rect x="14.5" y="25" width="5" height="10" rx="1.3" opacity="0.6" />
        <rect x="21.5" y="19" width="5" height="16" rx="1.3" opacity="0.8" />
        <rect x="28.5" y="13" width="5" height="22" rx="1.3" />
      </g>
    ),
  },
  // Customer Support: a speech bubble with the dots of a reply being written.
  support: {
    from: '#be123c',
    to: '#f43f5e',
    glyph: (
      <>
        <path
          d="M14.5 18a4 4 0 0 1 4-4h11a4 4 0 0 1 4 4v8a4 4 0 0 1-4 4h-6l-5 4.2V30h0a4 4 0 0 1-4-4z"
          {...white}
          strokeWidth="2.3"
          fill="#fff"
          fillOpacity="0.14"
        />
        <g fill="#fff">
          <circle cx="19.8" cy="22" r="1.5" />
          <circle cx="24" cy="22" r="1.5" />
          <circle cx="28.2" cy="22" r="1.5" />
        </g>
      </>
    ),
  },
}

const isDesign = (key: string): key is BuiltinAvatarKey => Object.hasOwn(DESIGNS, key)

type Props = {
  /** The agent (undefined while it loads or when it is gone: a neutral avatar). */
  agent: AvatarAgent | undefined
  /** Diameter in pixels (24–96 look right). */
  size?: number
  /** The agent is answering: a soft pulse of its ring (none under prefers-reduced-motion). */
  answering?: boolean
  /** Announced name; without it the avatar is decorative (the name is beside it). */
  label?: string
  className?: string
}

/**
 * One agent's avatar, wherever an agent is shown: its uploaded picture, else its design (built-ins, or a custom agent
 * that picked one), else its initials on a colour derived from its name (what
 * the form previews while the agent is being named is what it gets). Always SVG or a picture: no emoji, no web font.
 */
export function AgentAvatar({ agent, size = 40, answering = false, label, className }: Props) {
  const rawId = useId()
  const uid = `av${rawId.replace(/[^a-zA-Z0-9_-]/g, '')}`
  const [broken, setBroken] = useState<string | null>(null)
  const image = agent?.avatarImage && broken !== agent.avatarImage ? agent.avatarImage : null
  const design = agent && isDesign(agent.avatar) ? DESIGNS[agent.avatar] : null
  const initials = initialsOf(agent?.name ?? '')
  const ground = agent ? initialsColor(agent.name.trim().toLocaleLowerCase() || agent.id) : '#64748b'
  return (
    <span
      data-agent-avatar={agent?.avatar ?? 'none'}
      data-answering={answering || undefined}
      {...(label ? { role: 'img', 'aria-label': label } : { 'aria-hidden': true })}
      className={cx('relative inline-block shrink-0 overflow-hidden rounded-full bg-slate-100', className)}
      style={{ width: size, height: size }}
    >
      {image ? (
        <img
          src={image}
          alt=""
          width={size}
          height={size}
          decoding="async"
          onError={() => setBroken(image)}
          className="size-full rounded-full object-cover"
        />
      ) : (
        <svg viewBox="0 0 48 48" width={size} height={size} className="block" focusable="false">
          <defs>
            <linearGradient id={`${uid}-g`} x1="0" y1="0" x2="1" y2="1">
              <stop offset="0" stopColor={design ? design.from : ground} />
              <stop offset="1" stopColor={design ? design.to : ground} />
            </linearGradient>
            <clipPath id={`${uid}-c`}>
              <circle cx="24" cy="24" r="24" />
            </clipPath>
          </defs>
          <g clipPath={`url(#${uid}-c)`}>
            <circle cx="24" cy="24" r="24" fill={`url(#${uid}-g)`} />
            <ellipse cx="24" cy="6" rx="26" ry="14" fill="#fff" opacity="0.1" />
            {design ? (
              design.glyph
            ) : (
              <text
                x="24"
                y="24.5"
                textAnchor="middle"
                dominantBaseline="central"
                fill="#fff"
                fontSize={initials.length > 1 ? 18 : 21}
                fontWeight="600"
                fontFamily="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
                letterSpacing="0.5"
              >
                {initials}
              </text>
            )}
            <circle cx="24" cy="24" r="23.25" fill="none" stroke="#fff" strokeOpacity="0.18" strokeWidth="1.5" />
          </g>
        </svg>
      )}
      {answering && (
        <span
          data-testid="avatar-answering"
          className="pointer-events-none absolute inset-0 rounded-full shadow-[inset_0_0_0_2px_rgb(255_255_255/0.85)] motion-safe:animate-pulse"
        />
      )}
    </span>
  )
}
