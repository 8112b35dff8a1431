import type { ChannelStatus } from '../../../../contracts/channels.ts'
import type { Tone } from '../../ui/Badge.tsx'

export const CHANNEL_STATUS_LABEL: Record<ChannelStatus, string> = {
  pending_qr: 'Waiting for a scan',
  connecting: 'Connecting',
  connected: 'Connected',
  needs_qr: 'Scan again',
  logged_out: 'Logged out',
  failed: 'Stopped',
}

export const CHANNEL_STATUS_TONE: Record<ChannelStatus, Tone> = {
  pending_qr: 'amber',
  connecting: 'sky',
  connected: 'green',
  needs_qr: 'amber',
  logged_out: 'slate',
  failed: 'red',
}

/** The statuses in which a QR number is paired by showing it a (new) QR. */
export const NEEDS_SCAN: readonly ChannelStatus[] = ['pending_qr', 'needs_qr', 'failed']

export const KIND_LABEL = { qr: 'WhatsApp Web (QR)', cloud: 'WhatsApp Cloud API' } as const
