import type { FastifyRequest } from 'fastify'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import { requestMeta } from '../../platform/http/route-helpers.ts'
import type { ModuleParts } from '../../platform/modules/module.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Entitlements } from '../plans/plans.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { createConnections } from './connections.service.ts'
import { revokeGrantJob } from './connectors.jobs.ts'
import { connectorsRoutes } from './connectors.routes.ts'
import type { ConnectorsSettings } from './connectors.settings.ts'
import type { ConnectorsTables } from './connectors.tables.ts'
import { createGoogleAds } from './google-ads.ts'
import { createGoogleAnalytics } from './google-analytics.ts'
import { googleConnectRoutes } from './google-connect.routes.ts'
import { createGoogleOAuth, type GoogleOAuth } from './google-oauth.ts'
import { connectorsTools } from './connectors-tools.ts'
import { createReportDigests } from './report-digest.ts'
import { createReportCache } from './report-range.ts'
import { createReports } from './reports.service.ts'
import { createTokens } from './tokens.ts'

/**
 * Google Ads and GA4 per client (ADR 0007): OAuth per client with sealed tokens and single-flight refresh, the Ads
 * REST API and the GA4 Data/Admin APIs over fetch, exact figures, a short report cache. Other modules read numbers
 * only through `reports` (`reports.ads(client, …)`, `reports.analytics(client, …)`, `reports.statusFor(client)`).
 */
export const createConnectorsModule = (deps: {
  db: Handle
  box: SecretBox
  audit: AuditService
  entitlements: Entitlements
  scope: ScopeResolver
  queue: Queue
  settings: ConnectorsSettings
}) => {
  const db = own<ConnectorsTables>(deps.db)
  const { settings } = deps
  const google = settings.google
  const oauthClient: GoogleOAuth | undefined = google
    ? createGoogleOAuth({
        clientId: google.clientId,
        clientSecret: google.clientSecret,
        oauthBase: settings.oauthBase,
        authorizeUrl: settings.authorizeUrl,
        redirectUri: settings.redirectUri,
      })
    : undefined
  const oauth = () => oauthClient
  const requireOAuth = () => {
    // A connection exists only through a consent, so only a server whose Google client was removed gets here.
    if (!oauthClient) throw new Error('Google connections need GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET')
    return oauthClient
  }
  const connections = createConnections({ db, box: deps.box, audit: deps.audit, entitlements: deps.entitlements })
  const tokens = createTokens({ db, box: deps.box, oauth: requireOAuth })
  const cache = createReportCache(settings.cacheTtlMs)
  const ads = createGoogleAds({ settings: settings.ads, tokens })
  const analytics = createGoogleAnalytics({ base: settings.analyticsBase, tokens })
  const reports = createReports({ db, connections, ads, analytics, cache, demoData: settings.demoData })
  const digests = createReportDigests(reports)

  const revoke = async (connectionId: string) => {
    const token = await connections.pendingRevoke(connectionId)
    if (token === undefined) return
    await requireOAuth().revoke(token)
    await connections.revoked(connectionId)
  }
  const revokeJob = revokeGrantJob(revoke)
  const disconnect = async (scope: ClientScope, id: string, req: FastifyRequest) => {
    const row = await connections.disconnect(scope, id, requestMeta(req), (trx) =>
      deps.queue.enqueue(trx, revokeJob, { connectionId: id }, { singletonKey: id }),
    )
    // At once after the commit; the job (already queued) retries if Google does not answer now.
    await revoke(id).catch(() => undefined)
    cache.forget(id)
    return row
  }

  /** Which Google sources a client can read now: connected with an account / a property picked, or why not. */
  const sourceStates = async (client: ClientScope) => {
    const { google: g } = await reports.statusFor(client)
    const state = (picked: boolean) =>
      g?.status === 'connected'
        ? picked
          ? ('connected' as const)
          : ('not_connected' as const)
        : g?.status === 'reconnect_required'
          ? ('reconnect_required' as const)
          : ('not_connected' as const)
    return { ads: state(Boolean(g?.ads)), analytics: state(Boolean(g?.analytics)) }
  }

  return {
    connections,
    reports,
    sourceStates,
    /** Compact reports (range, totals, previous period, top rows) for the agents' tools and the flows' nodes. */
    digests,
    /** The agents' tools `ads_report` and `analytics_report` (`tools.registry.register(...)`). */
    tools: connectorsTools(digests),
    tokens,
    /** Revokes a disconnected connection's grant now (what the job does). */
    revoke,
    routes: [
      googleConnectRoutes({
        oauth,
        connections,
        scope: deps.scope,
        publicUrl: settings.publicUrl,
        secureCookies: settings.secureCookies,
      }),
      connectorsRoutes({ connections, reports, scope: deps.scope, disconnect, forget: cache.forget }),
    ],
    jobs: [revokeJob],
  } satisfies ModuleParts & Record<string, unknown>
}
export type ConnectorsModule = ReturnType<typeof createConnectorsModule>
export { connectorsUsage } from './connections.service.ts'
export type { Reports as ConnectorReports } from './reports.service.ts'
export type { ReportDigests } from './report-digest.ts'
export { connectorsSettingsFrom } from './connectors.settings.ts'
/** `npm run confidence` (scripts/confidence.ts): N refresh → accounts → report rounds against the configured Google. */
export { refreshWith, runConfidence } from './confidence.ts'
export { presetRange } from './report-digest.ts'
