import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { ChannelDto } from '../../../../contracts/channels.ts'
import { errorMessage } from '../../lib/api.ts'
import { notifyError } from '../../lib/error-toast.ts'
import { formatCount, formatDateTime } from '../../lib/format.ts'
import { Badge } from '../../ui/Badge.tsx'
import { Button } from '../../ui/Button.tsx'
import { ConfirmDialog } from '../../ui/Dialog.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { backfillChannel, channelKeys, logoutChannel, setAutoReply } from './api.ts'
import type { ChannelStats } from './api.ts'
import { CHANNEL_STATUS_LABEL, CHANNEL_STATUS_TONE, KIND_LABEL, NEEDS_SCAN } from './status.ts'

const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' })

/** The sending pace in words: paused (until when), or messages a second (a minute, for a QR number's slow pace). */
const rateText = (rate: ChannelStats['rate']) => {
  if (rate.pausedUntil && Date.parse(rate.pausedUntil) > Date.now())
    return `Paused until ${timeOnly.format(new Date(rate.pausedUntil))}`
  return rate.perSecond >= 1
    ? `${Math.round(rate.perSecond * 10) / 10}/s`
    : `${Math.round(rate.perSecond * 600) / 10}/min`
}

/** A number as people write it: E.164 digits get their `+`; a display number Meta formatted stays as it is. */
const phoneText = (phone: string) => (/^\d{6,15}$/.test(phone) ? `+${phone}` : phone)

/** One number: who it is, how it is connected, its last day of traffic, and what an admin can do with it. */
export function NumberCard({
  channel,
  stats,
  statsLoading,
  admin,
  onScan,
}: {
  channel: ChannelDto
  stats: ChannelStats | null
  statsLoading: boolean
  admin: boolean
  onScan: () => void
}) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [confirming, setConfirming] = useState(false)
  const logout = useMutation({
    mutationFn: () => logoutChannel(channel.id),
    onSuccess: (c) => {
      setConfirming(false)
      notify(`${c.name} logged out`)
      void qc.invalidateQueries({ queryKey: channelKeys.all })
    },
  })
  const backfill = useMutation({
    mutationFn: () => backfillChannel(channel.id),
    onSuccess: () => notify('Recent history requested: older messages appear in the inbox as they arrive'),
    onError: (e) => notifyError(notify, e),
  })
  const autoReply = useMutation({
    mutationFn: (enabled: boolean) => setAutoReply(channel.id, { enabled, agentId: channel.autoReply.agentId }),
    onSuccess: (c) => {
      notify(c.autoReply.enabled ? `Auto-reply is on for ${c.name}` : `Auto-reply is off for ${c.name}`)
      void qc.invalidateQueries({ queryKey: channelKeys.all })
    },
    onError: (e) => notifyError(notify, e),
  })
  const canScan = channel.kind === 'qr' && NEEDS_SCAN.includes(channel.status)
  const figures: [string, string][] = stats
    ? [
        ['Sent', formatCount(stats.sent24h)],
        ['Delivered', formatCount(stats.delivered24h)],
        ['Read', formatCount(stats.read24h)],
        ['Failed', formatCount(stats.failed24h)],
        ['Queued', formatCount(stats.queued)],
        ['Dead letters', formatCount(stats.dead)],
        ['Pace', rateText(stats.rate)],
      ]
    : []
  return (
    <article
      aria-labelledby={`number-${channel.id}`}
      data-testid="number-card"
      data-status={channel.status}
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5"
    >
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h2 id={`number-${channel.id}`} className="text-base font-semibold text-slate-900">
              {channel.name}
            </h2>
            <Badge tone={CHANNEL_STATUS_TONE[channel.status]}>{CHANNEL_STATUS_LABEL[channel.status]}</Badge>
          </div>
          <p className="mt-1 text-sm text-slate-600">
            {channel.phone ? phoneText(channel.phone) : 'Number not known yet'} · {KIND_LABEL[channel.kind]}
            {channel.cloud && <> · token ending in {channel.cloud.tokenHint}</>}
          </p>
          {channel.statusReason && <p className="mt-1 text-sm text-slate-700">{channel.statusReason}</p>}
          <p className="mt-1 text-xs text-slate-500">
            Last seen {channel.lastSeenAt ? formatDateTime(channel.lastSeenAt) : 'never'}
          </p>
          {admin && channel.status !== 'logged_out' && (
            <label className="mt-2 flex items-center gap-2 text-sm text-slate-700">
              <input
                type="checkbox"
                checked={autoReply.isPending ? autoReply.variables : channel.autoReply.enabled}
                disabled={autoReply.isPending}
                onChange={(e) => autoReply.mutate(e.target.checked)}
              />
              Answer customers with AI (paused on a conversation as soon as a person replies)
            </label>
          )}
        </div>
        {admin && (
          <div className="flex flex-wrap gap-2">
            {canScan && <Button onClick={onScan}>Show QR code</Button>}
            {channel.kind === 'qr' && channel.status === 'logged_out' && (
              <Button variant="secondary" onClick={onScan}>
                Pair again
              </Button>
            )}
            {channel.kind === 'qr' && channel.status === 'connected' && (
              <Button variant="secondary" pending={backfill.isPending} onClick={() => backfill.mutate()}>
                Load recent history
              </Button>
            )}
            {channel.status !== 'logged_out' && (
              <Button
                variant="secondary"
                onClick={() => {
                  logout.reset()
                  setConfirming(true)
                }}
              >
                Log out
              </Button>
            )}
          </div>
        )}
      </div>
      <div className="mt-4 border-t border-slate-100 pt-3">
        <p className="mb-2 text-xs font-semibold tracking-wide text-slate-500 uppercase">Last 24 hours</p>
        {stats ? (
          <dl className="grid grid-cols-2 gap-x-4 gap-y-2 text-sm sm:grid-cols-4 lg:grid-cols-7">
            {figures.map(([label, value]) => (
              <div key={label}>
                <dt className="text-xs text-slate-500">{label}</dt>
                <dd
                  className={`font-medium tabular-nums ${label === 'Failed' && stats.failed24h > 0 ? 'text-red-700' : 'text-slate-900'}`}
                >
                  {value}
                </dd>
              </div>
            ))}
          </dl>
        ) : statsLoading ? (
          <div aria-hidden="true" className="h-9 animate-pulse rounded bg-slate-100" />
        ) : (
          <p className="text-sm text-slate-500">No figures for this number.</p>
        )}
      </div>
      <ConfirmDialog
        open={confirming}
        title={`Log ${channel.name} out?`}
        message={
          channel.kind === 'qr'
            ? 'Camarad forgets this pairing: to use the number again, scan a new QR code. Its conversations stay.'
            : 'Camarad stops sending and receiving with this number. Its conversations stay.'
        }
        confirmLabel="Log out"
        pending={logout.isPending}
        error={logout.isError ? errorMessage(logout.error) : null}
        onConfirm={() => logout.mutate()}
        onCancel={() => setConfirming(false)}
      />
    </article>
  )
}

/** The shape of a number card while the list loads. */
export function NumberCardSkeleton() {
  return (
    <div aria-hidden="true" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <div className="h-5 w-48 animate-pulse rounded bg-slate-200" />
      <div className="mt-2 h-4 w-72 max-w-full animate-pulse rounded bg-slate-100" />
      <div className="mt-5 h-9 animate-pulse rounded bg-slate-100" />
    </div>
  )
}
