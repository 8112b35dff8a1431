import type { Kysely } from 'kysely'
import type { BillingTables } from './billing.tables.ts'
import { reconciliationRepository as recon } from './reconciliation.repository.ts'

/**
 * Delivers one alert to the operator's webhook (BILLING_ALERT_WEBHOOK_URL, operator configuration, not a user
 * address: it may well be on a private network). Called from its job after the alert committed: a non-2xx or a
 * network failure throws so the queue retries; the alert id is the Idempotency-Key, so a retry after a delivery
 * whose acknowledgement was lost is recognisable by the receiver. A delivered alert is not sent again.
 */
export const createAlertWebhook =
  ({ db, url }: { db: Kysely<BillingTables>; url: string | undefined }) =>
  async (alertId: string) => {
    if (!url) return
    const alert = await recon.alert(db, alertId)
    if (!alert || alert.notifiedAt) return
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
      headers: { 'content-type': 'application/json', 'idempotency-key': alert.id, 'user-agent': 'camarad-billing' },
      body: JSON.stringify({
        type: 'billing.alert',
        id: alert.id,
        kind: alert.kind,
        day: alert.day,
        modelId: alert.modelId,
        runId: alert.runId,
        message: alert.message,
        details: alert.details,
        createdAt: alert.createdAt.toISOString(),
      }),
    })
    await res.body?.cancel()
    if (res.status < 200 || res.status > 299) throw new Error(`The billing alert webhook answered ${res.status}.`)
    await recon.markNotified(db, alert.id)
  }
