import type { Handle } from '../../platform/db/database.ts'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import type { Egress } from '../../platform/egress/egress.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { Bus } from '../../platform/realtime/bus.ts'
import type { RunStreams } from '../../platform/runs/run-stream.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { createAlertWebhook } from './alert-webhook.ts'
import { deliverWebhookJob } from './alerts.jobs.ts'
import { alertsRoutes } from './alerts.routes.ts'
import { createAlertsService } from './alerts.service.ts'

export { signatureOf } from './alert-webhook.ts'
export {
  alertChannel,
  DEDUPE_WINDOW_MS,
  type AlertDraft,
  type AlertsRaise,
  type RaiseAlert,
  type Raised,
} from './alerts.service.ts'

/**
 * Live alerts to people: other modules `raise` (in their transaction or on their own write), an alert is stored once
 * per kind, subject and window, published on the bus to the workspace's admins' streams and, when the workspace has
 * a webhook, posted to it (signed) by a job. Created before the modules that raise; `connect` adds the routes once
 * the scope resolver exists.
 */
export const createAlertsModule = (deps: {
  db: Handle
  bus: Bus
  queue: Queue
  box: SecretBox
  audit: AuditService
  /** The egress client the webhook is checked and posted through (no redirects). */
  egress: Pick<Egress, 'check' | 'request'>
  publicUrl: string
}) => {
  let deliver: (alertId: string) => Promise<void> = async () => undefined
  const deliverJob = deliverWebhookJob((id) => deliver(id))
  const alerts = createAlertsService({ ...deps, guard: deps.egress, deliverJob })
  deliver = createAlertWebhook({ alerts, egress: deps.egress, publicUrl: deps.publicUrl })
  return {
    alerts,
    raise: alerts.raise,
    raiseQuietly: alerts.raiseQuietly,
    drain: alerts.drain,
    /** Delivers one alert to its webhook now (the job's handler; tests). */
    deliver: (alertId: string) => deliver(alertId),
    connect: (c: { scope: ScopeResolver; streams: Pick<RunStreams, 'live'>; operator: OperatorGuard }) =>
      ({
        routes: [alertsRoutes({ alerts, bus: deps.bus, ...c })],
        jobs: [deliverJob],
      }) satisfies ModuleShape,
  }
}
export type AlertsModule = ReturnType<typeof createAlertsModule>
export { alertDrafts } from './alerts.drafts.ts'
