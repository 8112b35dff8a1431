import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef, useState } from 'react'
import type { ChannelDto, ChannelQr } from '../../../../contracts/channels.ts'
import { errorMessage } from '../../lib/api.ts'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { QueryError } from '../../ui/QueryState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { channelKeys, getQr, regenerateQr } from './api.ts'
import { PairingCodeForm } from './PairingCodeForm.tsx'

/** WhatsApp changes the QR about every 20 seconds: it is read again this often while the dialog is open. */
const QR_POLL_MS = 2_000

/**
 * Whether nobody keeps the number running for a scan any more (its QRs ran out unscanned, WhatsApp logged it out, it
 * stopped, it was logged out here): only "Show a new QR" brings one back.
 */
const isStopped = (d: ChannelQr) => !d.waiting && !d.qr && d.status !== 'connecting' && d.status !== 'connected'

/** Seconds from now until `iso`, refreshed every second; null without a time. */
const useSecondsLeft = (iso: string | null) => {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), 1_000)
    return () => window.clearInterval(id)
  }, [])
  return iso ? Math.max(0, Math.ceil((Date.parse(iso) - now) / 1000)) : null
}

/**
 * Pairs a QR number: its current QR drawn in a fixed box (read again every 2 s), or a pairing code to type on the
 * phone instead. Closes itself once the number is connected.
 */
export function QrDialog({
  channel,
  clientId,
  onClose,
}: {
  channel: ChannelDto
  clientId: string
  onClose: () => void
}) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [mode, setMode] = useState<'qr' | 'code'>('qr')
  const query = useQuery({
    queryKey: channelKeys.qr(channel.id),
    queryFn: ({ signal }) => getQr(channel.id, signal),
    refetchInterval: (q) => {
      const d = q.state.data
      return q.state.error || d?.status === 'connected' || (d && isStopped(d)) ? false : QR_POLL_MS
    },
    retry: false,
    gcTime: 0,
  })
  const fresh = useMutation({
    mutationFn: () => regenerateQr(channel.id),
    meta: { success: 'A new QR code is on its way.' },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: channelKeys.list(clientId) })
      void query.refetch()
    },
  })
  const status = query.data?.status
  const done = useRef(false)
  useEffect(() => {
    if (status !== 'connected' || done.current) return
    done.current = true
    notify(`${channel.name} is connected`)
    void qc.invalidateQueries({ queryKey: channelKeys.all })
    onClose()
  }, [status, channel.name, notify, qc, onClose])
  const data = query.data
  const secondsLeft = useSecondsLeft(data?.expiresAt ?? null)
  // A code past its time is not drawn: while the number waits, the next one comes within seconds; once it stopped
  // waiting, none comes.
  const svg = data?.svg && secondsLeft !== 0 ? data.svg : null
  const expired = !!data && !data.waiting && !svg && status !== 'connecting' && status !== 'connected'
  return (
    <Dialog open title={`Pair ${channel.name}`} onClose={onClose}>
      {mode === 'qr' ? (
        <div className="space-y-4">
          <ol className="list-decimal space-y-1 pl-5 text-sm text-slate-700">
            <li>Open WhatsApp on the phone of this number.</li>
            <li>
              Go to <strong>Settings → Linked devices → Link a device</strong>.
            </li>
            <li>Point the phone at this code.</li>
          </ol>
          <div className="mx-auto flex size-64 items-center justify-center rounded-lg border border-slate-200 bg-white p-2">
            {query.isError ? (
              <p className="px-4 text-center text-sm text-slate-600">No QR code to show.</p>
            ) : svg && !expired ? (
              <img
                src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`}
                alt={`QR code to pair ${channel.name}`}
                data-testid="qr-image"
                className="size-full"
              />
            ) : expired ? (
              <p className="px-4 text-center text-sm text-slate-600" data-testid="qr-expired">
                {status === 'logged_out'
                  ? 'This number is logged out.'
                  : status === 'failed'
                    ? 'This number stopped.'
                    : 'This QR code has expired.'}
              </p>
            ) : (
              <p className="flex items-center gap-2 text-sm text-slate-600" role="status">
                <span
                  aria-hidden="true"
                  className="size-4 animate-spin rounded-full border-2 border-indigo-600 border-t-transparent"
                />
                {status === 'connecting'
                  ? 'Connecting…'
                  : data?.qr
                    ? 'Preparing a new QR code…'
                    : 'Preparing a QR code…'}
              </p>
            )}
          </div>
          <p className="text-center text-xs text-slate-500" aria-live="polite">
            {query.isError
              ? ''
              : svg && !expired && secondsLeft !== null
                ? `Refreshes by itself · this code expires in ${secondsLeft} s`
                : svg && !expired
                  ? 'Refreshes by itself'
                  : ''}
          </p>
          {expired && data?.statusReason && <p className="text-center text-sm text-slate-700">{data.statusReason}</p>}
          {query.isError && <QueryError error={query.error} onRetry={() => void query.refetch()} />}
          {(expired || fresh.isError) && (
            <div className="text-center">
              <Button pending={fresh.isPending} onClick={() => fresh.mutate()}>
                Show a new QR
              </Button>
              {fresh.isError && (
                <p role="alert" className="mt-2 text-sm text-red-700">
                  {errorMessage(fresh.error)}
                </p>
              )}
            </div>
          )}
          <div className="flex flex-wrap justify-between gap-2 border-t border-slate-100 pt-4">
            <Button variant="ghost" onClick={() => setMode('code')}>
              Link with phone number instead
            </Button>
            <Button variant="secondary" onClick={onClose}>
              Close
            </Button>
          </div>
        </div>
      ) : (
        <PairingCodeForm channelId={channel.id} onBack={() => setMode('qr')} onClose={onClose} />
      )}
    </Dialog>
  )
}
