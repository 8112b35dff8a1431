import { createHmac } from 'node:crypto'
import type { Egress } from '../../platform/egress/egress.ts'
import type { AlertsService } from './alerts.service.ts'
import { toAlertDto } from './alerts.repository.ts'

/**
 * The signature header's value, Stripe's scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
 * webhook's secret. A receiver recomputes it over the raw body and refuses an old `t` (replays).
 */
export const signatureOf = (secret: string, body: string, unixSeconds: number) =>
  `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`

/**
 * Delivers one alert to its workspace's webhook through the egress guard (a user's URL: private addresses refused,
 * after DNS). A non-2xx or a refused or failed request throws, so the queue retries; the alert id is the
 * Idempotency-Key and the event id, so a receiver recognises a retry whose acknowledgement was lost. A delivered
 * alert, or one whose workspace has no webhook any more, is not sent.
 */
export const createAlertWebhook =
  ({
    alerts,
    egress,
    publicUrl,
    now = () => new Date(),
  }: {
    alerts: Pick<AlertsService, 'alert' | 'webhookFor' | 'markDelivered'>
    egress: Pick<Egress, 'request'>
    publicUrl: string
    now?: () => Date
  }) =>
  async (alertId: string) => {
    const row = await alerts.alert(alertId)
    if (!row || row.deliveredAt || !row.workspaceId) return
    const hook = await alerts.webhookFor(row.workspaceId)
    if (!hook) return
    const alert = toAlertDto(row)
    const body = JSON.stringify({
      id: alert.id,
      type: `alert.${alert.kind}`,
      workspaceId: alert.workspaceId,
      severity: alert.severity,
      title: alert.title,
      message: alert.message,
      url: alert.link ? new URL(alert.link, publicUrl).toString() : null,
      data: alert.data,
      createdAt: alert.createdAt,
    })
    const res = await egress.request(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'camarad-alerts',
        'idempotency-key': alert.id,
        'camarad-event-id': alert.id,
        'camarad-signature': signatureOf(hook.secret, body, Math.floor(now().getTime() / 1000)),
      },
      body,
    })
    if (res.status < 200 || res.status > 299) throw new Error(`The alert webhook answered ${res.status}.`)
    await alerts.markDelivered(alert.id)
  }
