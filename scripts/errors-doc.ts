// Writes docs/errors.md from the error tables: `npm run docs:errors`. test/errors-doc.test.ts fails when it is stale.
import { flowsErrors } from '../src/modules/flows/flows.errors.ts'
import { channelsErrors } from '../src/modules/channels/channels.errors.ts'
import { inboxErrors } from '../src/modules/inbox/inbox.errors.ts'
import { crmErrors } from '../src/modules/crm/crm.errors.ts'
import { connectorsErrors } from '../src/modules/connectors/connectors.errors.ts'
import { knowledgeErrors } from '../src/modules/knowledge/knowledge.errors.ts'
import { featuresErrors } from '../src/modules/features/features.errors.ts'
import { alertsErrors } from '../src/modules/alerts/alerts.errors.ts'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { egressErrors } from '../src/platform/egress/egress.errors.ts'
import { errorEntries, type ErrorEntry } from '../src/platform/http/errors.ts'
import {
  authErrors,
  operatorErrors,
  requestErrors,
  resourceErrors,
  routeErrors,
  serverErrors,
  streamErrors,
} from '../src/platform/http/http.errors.ts'
import { agentsErrors } from '../src/modules/agents/agents.errors.ts'
import { billingErrors } from '../src/modules/billing/billing.errors.ts'
import { boardroomErrors } from '../src/modules/boardroom/boardroom.errors.ts'
import { chatErrors } from '../src/modules/chat/chat.errors.ts'
import { creditsErrors, modelAccessErrors } from '../src/modules/credits/credits.errors.ts'
import { gatewayErrors } from '../src/modules/gateway/gateway.errors.ts'
import { identityErrors, tokenErrors } from '../src/modules/identity/identity.errors.ts'
import { legalErrors } from '../src/modules/legal/legal.errors.ts'
import { modelsErrors, providerKeysErrors } from '../src/modules/models/models.errors.ts'
import { opsErrors } from '../src/modules/ops/ops.errors.ts'
import { plansErrors } from '../src/modules/plans/plans.errors.ts'
import { stripeErrors, subscriptionsErrors } from '../src/modules/subscriptions/subscriptions.errors.ts'
import { tenancyErrors } from '../src/modules/tenancy/tenancy.errors.ts'

type Table = Parameters<typeof errorEntries>[0]

/**
 * Every error table, by owner (a module, or the platform). A module's codes start with its name, or with one of the
 * `legacy` prefixes the API has always used for it (codes are API: they are not renamed).
 */
export const ERROR_TABLES: { owner: string; legacy?: string[]; tables: Table[] }[] = [
  {
    owner: 'platform',
    legacy: ['request', 'auth', 'operator', 'resource', 'route', '', 'stream', 'egress'],
    tables: [
      requestErrors,
      authErrors,
      operatorErrors,
      resourceErrors,
      routeErrors,
      serverErrors,
      streamErrors,
      egressErrors,
    ],
  },
  { owner: 'agents', tables: [agentsErrors] },
  { owner: 'billing', tables: [billingErrors] },
  { owner: 'boardroom', tables: [boardroomErrors] },
  { owner: 'chat', tables: [chatErrors] },
  { owner: 'credits', legacy: ['model'], tables: [creditsErrors, modelAccessErrors] },
  { owner: 'flows', tables: [flowsErrors] },
  { owner: 'channels', tables: [channelsErrors] },
  { owner: 'inbox', tables: [inboxErrors] },
  { owner: 'crm', tables: [crmErrors] },
  { owner: 'connectors', tables: [connectorsErrors] },
  { owner: 'knowledge', tables: [knowledgeErrors] },
  { owner: 'features', tables: [featuresErrors] },
  { owner: 'alerts', tables: [alertsErrors] },
  { owner: 'gateway', tables: [gatewayErrors] },
  { owner: 'identity', legacy: ['auth', 'token'], tables: [identityErrors, tokenErrors] },
  { owner: 'legal', tables: [legalErrors] },
  { owner: 'models', legacy: ['model'], tables: [modelsErrors, providerKeysErrors] },
  { owner: 'ops', tables: [opsErrors] },
  { owner: 'plans', legacy: ['plan'], tables: [plansErrors] },
  { owner: 'subscriptions', legacy: ['billing', 'stripe'], tables: [subscriptionsErrors, stripeErrors] },
  { owner: 'tenancy', tables: [tenancyErrors] },
]

const cell = (text: string) => text.replace(/\|/g, '\\|')

const row = (e: ErrorEntry) => {
  const when = e.when && e.message ? `${e.when} “${e.message}”` : (e.when ?? `“${e.message}”`)
  return `| \`${e.code}\` | ${e.status} | ${cell(when)} |`
}

export const renderErrorsDoc = () =>
  [
    '# Error codes',
    '',
    'Every error the API returns is `{ "error": { "code", "message", "details"?, "requestId" } }` with the status below.',
    'Codes are stable; messages are for people and may name values. A 429 always has `Retry-After`.',
    '',
    'Generated from the error tables (`src/modules/<name>/<name>.errors.ts`, `src/platform/http/http.errors.ts`) by',
    '`npm run docs:errors`; do not edit by hand.',
    ...ERROR_TABLES.flatMap(({ owner, tables }) => [
      '',
      `## ${owner}`,
      '',
      '| Code | HTTP | When / message |',
      '| --- | --- | --- |',
      ...tables.flatMap((t) => errorEntries(t).entries.map(row)),
    ]),
    '',
  ].join('\n')

export const ERRORS_DOC = fileURLToPath(new URL('../docs/errors.md', import.meta.url))

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(ERRORS_DOC, renderErrorsDoc())
  console.log(`wrote ${ERRORS_DOC}`)
}
