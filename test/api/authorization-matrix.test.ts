import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import {
  addMember,
  call,
  createTestContext,
  createToken,
  onboard,
  uniqueEmail,
  type Caller,
  type TestContext,
} from '../harness.ts'
import { solidPng } from '../fixtures/pictures.ts'

/**
 * The authorization matrix, generated from the OpenAPI document: every route with a path id, every verb,
 * tried as an anonymous caller, as a member of another workspace (cookie and Bearer), and as a viewer where
 * the route writes. Expected: 401 / 404 / 403 and no change in the database. A new route with a path id
 * that has no entry in FIXTURES fails the suite, so later modules are covered by construction.
 */

type World = Awaited<ReturnType<typeof buildWorld>>
type Fixture = {
  /**
   * `workspace`: tenant data, a viewer may read but not write; `personal`: the caller's own rows; `invitation`: reachable by its
   * addressee only; `operator`: X-Internal-Token only — any user credential is refused with 401 like no credential at all;
   * `capability`: public, the path's secret is the credential (a flow's webhook URL) — a wrong one is 404 to everyone
   */
  kind: 'workspace' | 'personal' | 'invitation' | 'operator' | 'capability'
  params: (w: World) => Record<string, string>
  body?: unknown
  workspaceHeader?: boolean
  /** Headers every caller sends (a route whose path id is not a tenant row names its client in X-Client-ID). */
  headers?: (w: World) => Record<string, string>
}

const FIXTURES: Record<string, Fixture> = {
  'DELETE /api/tokens/{id}': { kind: 'personal', params: (w) => ({ id: w.tokenId }) },
  'GET /api/workspaces/{id}': { kind: 'workspace', params: (w) => ({ id: w.workspaceId }) },
  'PATCH /api/workspaces/{id}': {
    kind: 'workspace',
    params: (w) => ({ id: w.workspaceId }),
    body: { name: 'Hijacked' },
  },
  'GET /api/workspaces/{id}/members': { kind: 'workspace', params: (w) => ({ id: w.workspaceId }) },
  'PATCH /api/workspaces/{id}/members/{userId}': {
    kind: 'workspace',
    params: (w) => ({ id: w.workspaceId, userId: w.memberId }),
    body: { role: 'admin' },
  },
  'DELETE /api/workspaces/{id}/members/{userId}': {
    kind: 'workspace',
    params: (w) => ({ id: w.workspaceId, userId: w.memberId }),
  },
  'GET /api/workspaces/{id}/invitations': { kind: 'workspace', params: (w) => ({ id: w.workspaceId }) },
  'POST /api/workspaces/{id}/invitations': {
    kind: 'workspace',
    params: (w) => ({ id: w.workspaceId }),
    body: { email: 'intruder@example.test', role: 'admin' },
  },
  'DELETE /api/workspaces/{id}/invitations/{invitationId}': {
    kind: 'workspace',
    params: (w) => ({ id: w.workspaceId, invitationId: w.invitationId }),
  },
  'GET /api/invitations/{token}': { kind: 'invitation', params: (w) => ({ token: w.invitationToken }) },
  'POST /api/invitations/{token}/accept': { kind: 'invitation', params: (w) => ({ token: w.invitationToken }) },
  'GET /api/clients/{id}': { kind: 'workspace', params: (w) => ({ id: w.clientId }) },
  'PATCH /api/clients/{id}': { kind: 'workspace', params: (w) => ({ id: w.clientId }), body: { name: 'Hijacked' } },
  'POST /api/clients/{id}/archive': { kind: 'workspace', params: (w) => ({ id: w.clientId }) },
  'PATCH /api/agents/{id}': { kind: 'workspace', params: (w) => ({ id: w.agentId }), body: { name: 'Hijacked' } },
  'PUT /api/agents/{id}/avatar': {
    kind: 'workspace',
    params: (w) => ({ id: w.agentId }),
    body: solidPng(2, [9, 9, 9]),
    headers: () => ({ 'content-type': 'image/png' }),
  },
  'GET /api/agents/{id}/avatar': { kind: 'workspace', params: (w) => ({ id: w.agentId }) },
  'DELETE /api/agents/{id}/avatar': { kind: 'workspace', params: (w) => ({ id: w.agentId }) },
  'GET /api/chat/conversations/{id}': { kind: 'workspace', params: (w) => ({ id: w.conversationId }) },
  'PATCH /api/chat/conversations/{id}': {
    kind: 'workspace',
    params: (w) => ({ id: w.conversationId }),
    body: { title: 'Hijacked' },
  },
  'GET /api/chat/conversations/{id}/messages': { kind: 'workspace', params: (w) => ({ id: w.conversationId }) },
  'POST /api/chat/conversations/{id}/messages': {
    kind: 'workspace',
    params: (w) => ({ id: w.conversationId }),
    body: { content: 'Tell me their secrets' },
  },
  'GET /api/chat/conversations/{id}/stream': { kind: 'workspace', params: (w) => ({ id: w.conversationId }) },
  'POST /api/chat/conversations/{id}/cancel': { kind: 'workspace', params: (w) => ({ id: w.conversationId }) },
  'GET /api/workspaces/{id}/provider-keys': { kind: 'workspace', params: (w) => ({ id: w.workspaceId }) },
  'PUT /api/workspaces/{id}/provider-keys/{provider}': {
    kind: 'workspace',
    params: (w) => ({ id: w.workspaceId, provider: 'openai' }),
    body: { apiKey: 'sk-hijacked-key' },
  },
  'DELETE /api/workspaces/{id}/provider-keys/{provider}': {
    kind: 'workspace',
    params: (w) => ({ id: w.workspaceId, provider: 'groq' }),
  },
  'GET /api/boardroom/meetings/{id}': { kind: 'workspace', params: (w) => ({ id: w.meetingId }) },
  'GET /api/boardroom/meetings/{id}/stream': { kind: 'workspace', params: (w) => ({ id: w.meetingId }) },
  'POST /api/boardroom/meetings/{id}/cancel': { kind: 'workspace', params: (w) => ({ id: w.meetingId }) },
  'GET /api/credits/disputes/{id}': { kind: 'personal', params: (w) => ({ id: w.disputeId }) },
  'POST /api/credits/disputes/{id}/notes': {
    kind: 'workspace',
    params: (w) => ({ id: w.disputeId }),
    body: { note: 'A note by an intruder' },
  },
  'POST /api/credits/disputes/{id}/withdraw': {
    kind: 'workspace',
    params: (w) => ({ id: w.disputeId }),
    body: { note: 'Withdrawn by an intruder' },
  },
  'POST /api/operator/disputes/{id}/approve': {
    kind: 'operator',
    params: (w) => ({ id: w.disputeId }),
    body: { note: 'Approved without the token' },
  },
  'POST /api/operator/disputes/{id}/reject': {
    kind: 'operator',
    params: (w) => ({ id: w.disputeId }),
    body: { note: 'Rejected without the token' },
  },
  'POST /api/operator/workspaces/{id}/credits': {
    kind: 'operator',
    params: (w) => ({ id: w.workspaceId }),
    body: { credits: 1000, reason: 'Free money' },
  },
  'GET /api/workspaces/{id}/plan': { kind: 'workspace', params: (w) => ({ id: w.workspaceId }) },
  'GET /api/workspaces/{id}/features': { kind: 'workspace', params: (w) => ({ id: w.workspaceId }) },
  'GET /api/billing/checkouts/{id}': { kind: 'workspace', params: (w) => ({ id: w.checkoutId }) },
  'GET /api/flows/{id}': { kind: 'workspace', params: (w) => ({ id: w.flowId }) },
  'PUT /api/flows/{id}': {
    kind: 'workspace',
    params: (w) => ({ id: w.flowId }),
    body: { name: 'Hijacked', revision: 0 },
  },
  'POST /api/flows/{id}/publish': { kind: 'workspace', params: (w) => ({ id: w.flowId }) },
  'POST /api/flows/{id}/pause': { kind: 'workspace', params: (w) => ({ id: w.flowId }) },
  'POST /api/flows/{id}/resume': { kind: 'workspace', params: (w) => ({ id: w.pausedFlowId }) },
  'POST /api/flows/{id}/archive': { kind: 'workspace', params: (w) => ({ id: w.flowId }) },
  'POST /api/flows/{id}/restore': { kind: 'workspace', params: (w) => ({ id: w.archivedFlowId }) },
  'GET /api/flows/{id}/export': { kind: 'workspace', params: (w) => ({ id: w.flowId }) },
  'POST /api/flows/{id}/runs': { kind: 'workspace', params: (w) => ({ id: w.flowId }), body: { input: { x: 1 } } },
  'GET /api/flows/{id}/runs': { kind: 'workspace', params: (w) => ({ id: w.flowId }) },
  'POST /api/flows/{id}/webhook/rotate': { kind: 'workspace', params: (w) => ({ id: w.flowId }) },
  'GET /api/flows/runs/{id}': { kind: 'workspace', params: (w) => ({ id: w.flowRunId }) },
  'GET /api/flows/runs/{id}/export': { kind: 'workspace', params: (w) => ({ id: w.flowRunId }) },
  'GET /api/flows/runs/{id}/trace.md': { kind: 'workspace', params: (w) => ({ id: w.flowRunId }) },
  'GET /api/flows/runs/{id}/events': { kind: 'workspace', params: (w) => ({ id: w.flowRunId }) },
  'DELETE /api/flows/credentials/{id}': { kind: 'workspace', params: (w) => ({ id: w.credentialId }) },
  'GET /api/channels/{id}': { kind: 'workspace', params: (w) => ({ id: w.channelId }) },
  'POST /api/channels/{id}/logout': { kind: 'workspace', params: (w) => ({ id: w.channelId }) },
  'GET /api/channels/{id}/qr': { kind: 'workspace', params: (w) => ({ id: w.channelId }) },
  'POST /api/channels/{id}/regenerate-qr': { kind: 'workspace', params: (w) => ({ id: w.channelId }) },
  'POST /api/channels/{id}/pairing-code': {
    kind: 'workspace',
    params: (w) => ({ id: w.channelId }),
    body: { phone: '40712345678' },
  },
  'POST /api/channels/{id}/backfill': { kind: 'workspace', params: (w) => ({ id: w.channelId }) },
  'GET /api/inbox/threads/{id}': { kind: 'workspace', params: (w) => ({ id: w.threadId }) },
  'GET /api/inbox/threads/{id}/messages': { kind: 'workspace', params: (w) => ({ id: w.threadId }) },
  'GET /api/inbox/messages/{id}/media': { kind: 'workspace', params: (w) => ({ id: w.mediaMessageId }) },
  'POST /api/inbox/threads/{id}/read': { kind: 'workspace', params: (w) => ({ id: w.threadId }) },
  'PATCH /api/inbox/threads/{id}': {
    kind: 'workspace',
    params: (w) => ({ id: w.threadId }),
    body: { assignedTo: null, labels: ['hijacked'] },
  },
  'GET /api/inbox/threads/{id}/notes': { kind: 'workspace', params: (w) => ({ id: w.threadId }) },
  'POST /api/inbox/threads/{id}/suggest': { kind: 'workspace', params: (w) => ({ id: w.threadId }), body: {} },
  'POST /api/inbox/threads/{id}/extract-booking': {
    kind: 'workspace',
    params: (w) => ({ id: w.threadId }),
    body: {},
  },
  'POST /api/inbox/threads/{id}/notes': {
    kind: 'workspace',
    params: (w) => ({ id: w.threadId }),
    body: { body: 'Hijacked note' },
  },
  'POST /api/inbox/threads/{id}/messages': {
    kind: 'workspace',
    params: (w) => ({ id: w.threadId }),
    body: { text: 'Hijacked reply' },
  },
  'POST /api/inbox/threads/{id}/auto-reply': {
    kind: 'workspace',
    params: (w) => ({ id: w.threadId }),
    body: { paused: false },
  },
  'PUT /api/channels/{id}/auto-reply': {
    kind: 'workspace',
    params: (w) => ({ id: w.channelId }),
    body: { enabled: true, agentId: null },
  },
  'GET /api/channels/{id}/templates': { kind: 'workspace', params: (w) => ({ id: w.channelId }) },
  'PUT /api/channels/{id}/limits': {
    kind: 'workspace',
    params: (w) => ({ id: w.channelId }),
    body: { perMinute: 1 },
  },
  'POST /api/operator/outbox/dead/{id}/replay': {
    kind: 'operator',
    params: (w) => ({ id: w.messageId }),
    body: { reason: 'Replayed without the token' },
  },
  'POST /api/hooks/flows/{secret}': {
    kind: 'capability',
    params: () => ({ secret: 'whk_wrongwrongwrongwrongwrongwrongwrong' }),
    body: { lead: 'x' },
  },
  'POST /api/flows/runs/{id}/cancel': { kind: 'workspace', params: (w) => ({ id: w.waitingRunId }) },
  // A template id is not a tenant row: the client is X-Client-ID's.
  'POST /api/flows/templates/{id}/instantiate': {
    kind: 'workspace',
    params: () => ({ id: 'lead-qualify' }),
    headers: (w) => ({ 'x-client-id': w.clientId }),
  },
  'PUT /api/operator/workspaces/{id}/plan': {
    kind: 'operator',
    params: (w) => ({ id: w.workspaceId }),
    body: { plan: 'agency', reason: 'Free upgrade' },
  },
  'GET /api/operator/workspaces/{id}/features': { kind: 'operator', params: (w) => ({ id: w.workspaceId }) },
  'GET /api/workspaces/{id}/alerts': { kind: 'workspace', params: (w) => ({ id: w.workspaceId }) },
  'POST /api/workspaces/{id}/alerts/{alertId}/ack': {
    kind: 'workspace',
    params: (w) => ({ id: w.workspaceId, alertId: w.alertId }),
  },
  'GET /api/workspaces/{id}/alerts/stream': { kind: 'workspace', params: (w) => ({ id: w.workspaceId }) },
  'GET /api/workspaces/{id}/alerts/webhook': { kind: 'workspace', params: (w) => ({ id: w.workspaceId }) },
  'PUT /api/workspaces/{id}/alerts/webhook': {
    kind: 'workspace',
    params: (w) => ({ id: w.workspaceId }),
    body: { url: 'https://hooks.example.com/stolen' },
  },
  'DELETE /api/workspaces/{id}/alerts/webhook': { kind: 'workspace', params: (w) => ({ id: w.workspaceId }) },
  'POST /api/operator/incidents/{id}/updates': {
    kind: 'operator',
    params: (w) => ({ id: w.incidentId }),
    body: { status: 'resolved', message: 'Resolved by an intruder' },
  },
  'PUT /api/operator/workspaces/{id}/features/{feature}': {
    kind: 'operator',
    params: (w) => ({ id: w.workspaceId, feature: 'campaigns' }),
    body: { enabled: false, reason: 'Risk review' },
  },
  'GET /api/crm/contacts/{id}': { kind: 'workspace', params: (w) => ({ id: w.crmContactId }) },
  'PATCH /api/crm/contacts/{id}': {
    kind: 'workspace',
    params: (w) => ({ id: w.crmContactId }),
    body: { name: 'Hijacked' },
  },
  'POST /api/crm/contacts/{id}/archive': { kind: 'workspace', params: (w) => ({ id: w.crmContactId }) },
  'POST /api/crm/contacts/{id}/unarchive': { kind: 'workspace', params: (w) => ({ id: w.crmArchivedContactId }) },
  'POST /api/crm/contacts/{id}/merge': {
    kind: 'workspace',
    params: (w) => ({ id: w.crmContactId }),
    body: { otherId: 'ct_matrixmatrixmatrixmatrix' },
  },
  'GET /api/crm/contacts/{id}/timeline': { kind: 'workspace', params: (w) => ({ id: w.crmContactId }) },
  'POST /api/crm/contacts/{id}/ask': {
    kind: 'workspace',
    params: (w) => ({ id: w.crmContactId }),
    body: { question: 'How much has this contact spent?' },
  },
  'GET /api/crm/contacts/{id}/notes': { kind: 'workspace', params: (w) => ({ id: w.crmContactId }) },
  'POST /api/crm/contacts/{id}/notes': {
    kind: 'workspace',
    params: (w) => ({ id: w.crmContactId }),
    body: { body: 'Hijacked note' },
  },
  'GET /api/crm/contacts/{id}/tasks': { kind: 'workspace', params: (w) => ({ id: w.crmContactId }) },
  'POST /api/crm/contacts/{id}/tasks': {
    kind: 'workspace',
    params: (w) => ({ id: w.crmContactId }),
    body: { title: 'Hijacked task' },
  },
  'PATCH /api/crm/tasks/{id}': { kind: 'workspace', params: (w) => ({ id: w.crmTaskId }), body: { done: true } },
  'POST /api/operator/crm/contacts/{id}/erase': {
    kind: 'operator',
    params: (w) => ({ id: w.crmContactId }),
    body: { reason: 'Erased without the token' },
  },
  'PATCH /api/crm/fields/{id}': { kind: 'workspace', params: (w) => ({ id: w.crmFieldId }), body: { archived: true } },
  'GET /api/crm/pipelines/{id}': { kind: 'workspace', params: (w) => ({ id: w.crmPipelineId }) },
  'PATCH /api/crm/pipelines/{id}': {
    kind: 'workspace',
    params: (w) => ({ id: w.crmPipelineId }),
    body: { name: 'Hijacked' },
  },
  'POST /api/crm/pipelines/{id}/stages': {
    kind: 'workspace',
    params: (w) => ({ id: w.crmPipelineId }),
    body: { name: 'Hijacked' },
  },
  'GET /api/crm/deals/{id}': { kind: 'workspace', params: (w) => ({ id: w.crmDealId }) },
  'PATCH /api/crm/deals/{id}': { kind: 'workspace', params: (w) => ({ id: w.crmDealId }), body: { title: 'Hijacked' } },
  'GET /api/crm/deals/{id}/history': { kind: 'workspace', params: (w) => ({ id: w.crmDealId }) },
  'GET /api/crm/views/{id}': { kind: 'workspace', params: (w) => ({ id: w.crmViewId }) },
  'PATCH /api/crm/views/{id}': { kind: 'workspace', params: (w) => ({ id: w.crmViewId }), body: { name: 'Hijacked' } },
  'DELETE /api/crm/views/{id}': { kind: 'workspace', params: (w) => ({ id: w.crmViewId }) },
  'GET /api/crm/bookings/{id}': { kind: 'workspace', params: (w) => ({ id: w.crmBookingId }) },
  'GET /api/crm/imports/{id}': { kind: 'workspace', params: (w) => ({ id: w.crmImportId }) },
  'GET /api/crm/imports/{id}/rows': { kind: 'workspace', params: (w) => ({ id: w.crmImportId }) },
  'GET /api/crm/campaigns/{id}': { kind: 'workspace', params: (w) => ({ id: w.crmCampaignId }) },
  'PATCH /api/crm/campaigns/{id}': {
    kind: 'workspace',
    params: (w) => ({ id: w.crmCampaignId }),
    body: { name: 'Hijacked' },
  },
  'POST /api/crm/campaigns/{id}/preview': { kind: 'workspace', params: (w) => ({ id: w.crmCampaignId }), body: {} },
  'POST /api/crm/campaigns/{id}/start': { kind: 'workspace', params: (w) => ({ id: w.crmCampaignId }) },
  'POST /api/crm/campaigns/{id}/cancel': { kind: 'workspace', params: (w) => ({ id: w.crmCampaignId }) },
  'GET /api/crm/campaigns/{id}/recipients': { kind: 'workspace', params: (w) => ({ id: w.crmCampaignId }) },
  'GET /api/crm/contacts/{id}/consent': { kind: 'workspace', params: (w) => ({ id: w.crmContactId }) },
  'POST /api/crm/contacts/{id}/opt-in': {
    kind: 'workspace',
    params: (w) => ({ id: w.crmContactId }),
    body: { reason: 'Hijacked opt-in' },
  },
  'PATCH /api/crm/bookings/{id}': {
    kind: 'workspace',
    params: (w) => ({ id: w.crmBookingId }),
    body: { status: 'cancelled' },
  },
  'GET /api/connectors/{id}': { kind: 'workspace', params: (w) => ({ id: w.connectionId }) },
  'POST /api/connectors/{id}/disconnect': { kind: 'workspace', params: (w) => ({ id: w.connectionId }) },
  'GET /api/connectors/{id}/ads/accounts': { kind: 'workspace', params: (w) => ({ id: w.connectionId }) },
  'PUT /api/connectors/{id}/ads/account': {
    kind: 'workspace',
    params: (w) => ({ id: w.connectionId }),
    body: { customerId: '1234567890' },
  },
  'GET /api/connectors/{id}/ads/report': { kind: 'workspace', params: (w) => ({ id: w.connectionId }) },
  'GET /api/connectors/{id}/analytics/properties': { kind: 'workspace', params: (w) => ({ id: w.connectionId }) },
  'PUT /api/connectors/{id}/analytics/property': {
    kind: 'workspace',
    params: (w) => ({ id: w.connectionId }),
    body: { propertyId: '123456' },
  },
  'GET /api/connectors/{id}/analytics/report': { kind: 'workspace', params: (w) => ({ id: w.connectionId }) },
  'GET /api/knowledge/{id}': { kind: 'workspace', params: (w) => ({ id: w.knowledgeDocumentId }) },
  'DELETE /api/knowledge/{id}': { kind: 'workspace', params: (w) => ({ id: w.knowledgeDocumentId }) },
}

const WRITE = new Set(['POST', 'PATCH', 'PUT', 'DELETE'])

const buildWorld = async (ctx: TestContext) => {
  const a = await onboard(ctx.app, 'tenant-a')
  const viewer = await addMember(ctx.app, a.user, a.workspaceId, 'viewer')
  const member = await addMember(ctx.app, a.user, a.workspaceId, 'member')
  const invite = await call(
    ctx.app,
    'POST',
    `/api/workspaces/${a.workspaceId}/invitations`,
    { cookie: a.user.cookie },
    { email: uniqueEmail('pending'), role: 'member' },
  )
  const { apiToken } = await createToken(ctx.app, a.user)
  const agentId = (
    await call(
      ctx.app,
      'POST',
      '/api/agents',
      { cookie: a.user.cookie, workspaceId: a.workspaceId },
      { name: 'House voice', instructions: 'Be brief.' },
    )
  ).json().id as string
  // The agent's uploaded picture (its routes are read and refused below).
  await call(
    ctx.app,
    'PUT',
    `/api/agents/${agentId}/avatar`,
    { cookie: a.user.cookie, headers: { 'content-type': 'image/png' } },
    solidPng(4, [200, 40, 90]),
  )
  const conversationId = (
    await call(
      ctx.app,
      'POST',
      '/api/chat/conversations',
      { cookie: a.user.cookie, headers: { 'x-client-id': a.clientId } },
      { agentId },
    )
  ).json().id as string
  await call(
    ctx.app,
    'POST',
    `/api/chat/conversations/${conversationId}/messages`,
    { cookie: a.user.cookie },
    { content: 'A first question' },
  )
  await call(
    ctx.app,
    'PUT',
    `/api/workspaces/${a.workspaceId}/provider-keys/groq`,
    { cookie: a.user.cookie },
    { apiKey: 'gsk-tenant-a-key' },
  )
  const meetingId = (
    await call(
      ctx.app,
      'POST',
      '/api/boardroom/meetings',
      { cookie: a.user.cookie, headers: { 'x-client-id': a.clientId } },
      { topic: 'Q1 plan', agentIds: ['builtin.ppc-specialist', 'builtin.copywriter'] },
    )
  ).json().id as string
  await call(ctx.app, 'GET', `/api/boardroom/meetings/${meetingId}/stream`, { cookie: a.user.cookie })
  // A debit to dispute: a real hold settled through the ledger, as a priced model call would.
  const { ledger } = ctx.container.credits
  const hold = await ledger.hold({
    workspaceId: a.workspaceId,
    clientId: a.clientId,
    userId: a.user.id,
    tokenId: null,
    surface: 'chat',
    modelId: 'openai:gpt-4o-mini',
    streaming: false,
    requestId: 'matrix-debit',
    amount: 5000n,
    inputTokens: 10,
    paramsHash: '',
    ttlMs: 60_000,
  })
  const debit = await ledger.settle({
    workspaceId: a.workspaceId,
    holdId: hold.hold.id,
    cost: 4000n,
    resolution: 'settled',
  })
  const disputeId = (
    await call(
      ctx.app,
      'POST',
      '/api/credits/disputes',
      { cookie: a.user.cookie, workspaceId: a.workspaceId },
      { entryId: debit.entryId, reason: 'Charged twice?' },
    )
  ).json().id as string
  // A Checkout session tenant A opened (Stripe is not configured here: stored as the checkout route stores it).
  const checkoutId = 'cs_matrix_tenant_a'
  await ctx.container.db
    .insertInto('billingCheckouts')
    .values({
      id: checkoutId,
      workspaceId: a.workspaceId,
      mode: 'payment',
      credits: 100,
      plan: null,
      createdBy: a.user.id,
    })
    .execute()
  // Flows: one with a published version, one paused and one archived (resume and restore would change them).
  const flowAs = { cookie: a.user.cookie, headers: { 'x-client-id': a.clientId } }
  const newFlow = async (name: string) =>
    (await call(ctx.app, 'POST', '/api/flows', flowAs, { name })).json().id as string
  const flowId = await newFlow('Lead intake')
  await call(ctx.app, 'POST', `/api/flows/${flowId}/publish`, flowAs)
  const pausedFlowId = await newFlow('Paused')
  await call(ctx.app, 'POST', `/api/flows/${pausedFlowId}/pause`, flowAs)
  const archivedFlowId = await newFlow('Archived')
  await call(ctx.app, 'POST', `/api/flows/${archivedFlowId}/archive`, flowAs)
  // A finished run of the published flow, and one parked on a delay (cancel would end it).
  const flowRunId = (await call(ctx.app, 'POST', `/api/flows/${flowId}/runs`, flowAs, {})).json().runId as string
  const delayedFlowId = (
    await call(ctx.app, 'POST', '/api/flows', flowAs, {
      name: 'Delayed',
      graph: {
        nodes: [
          { id: 'start', type: 'core.manual', name: 'Start', position: { x: 0, y: 0 }, config: {} },
          { id: 'wait', type: 'core.delay', name: 'Wait', position: { x: 200, y: 0 }, config: { seconds: 3600 } },
        ],
        edges: [{ from: 'start', fromPort: 'out', to: 'wait', toPort: 'in' }],
      },
    })
  ).json().id as string
  await call(ctx.app, 'POST', `/api/flows/${delayedFlowId}/publish`, flowAs)
  const waitingRunId = (await call(ctx.app, 'POST', `/api/flows/${delayedFlowId}/runs`, flowAs, {})).json()
    .runId as string
  await ctx.container.flows.engine.drain()
  const credentialId = (
    await call(ctx.app, 'POST', '/api/flows/credentials', flowAs, {
      name: 'Token',
      kind: 'bearer',
      value: 'secret-value',
    })
  ).json().id as string
  const channelId = (await call(ctx.app, 'POST', '/api/channels', flowAs, { kind: 'qr', name: 'Front desk' })).json()
    .id as string
  // A conversation on that number, as the number's driver hands it over (the inbox's receiving API).
  await ctx.container.db.transaction().execute((trx) =>
    ctx.container.inbox.inbox.receive(trx, { id: channelId, workspaceId: a.workspaceId, clientId: a.clientId }, [
      {
        providerMessageId: 'wamid.matrix-1',
        party: { waId: '40712345678', name: 'Ana' },
        fromMe: false,
        at: new Date(),
        content: { type: 'text', text: 'Hello' },
      },
    ]),
  )
  // A photo on the same thread: its file is a route of its own.
  await ctx.container.db.transaction().execute((trx) =>
    ctx.container.inbox.receivers.inbound(trx, { id: channelId, workspaceId: a.workspaceId, clientId: a.clientId }, [
      {
        providerMessageId: 'wamid.matrix-2',
        party: { waId: '40712345678', name: 'Ana' },
        fromMe: false,
        at: new Date(),
        content: { type: 'media', media: 'image', mime: 'image/jpeg', providerMediaId: '1234' },
        mediaSource: { provider: 'cloud', id: '1234' },
      },
    ]),
  )
  const threadId = (await ctx.container.db.selectFrom('inboxThreads').select('id').executeTakeFirstOrThrow()).id
  const messageId = (
    await ctx.container.db
      .selectFrom('inboxMessages')
      .select('id')
      .where('providerMessageId', '=', 'wamid.matrix-1')
      .executeTakeFirstOrThrow()
  ).id
  const mediaMessageId = (await ctx.container.db.selectFrom('inboxMedia').select('messageId').executeTakeFirstOrThrow())
    .messageId
  // As the fetch job leaves it once the file is downloaded (no Graph API here).
  await ctx.container.db
    .updateTable('inboxMedia')
    .set({ state: 'stored', data: Buffer.from('jpeg'), bytes: 4, sha256: 'f'.repeat(64) })
    .execute()
  // The CRM: a contact (the inbox's message above made one too), an archived one, a task, a field, a deal, a booking.
  const crm = (method: 'POST', url: string, body: unknown) =>
    call(ctx.app, method, url, flowAs, body).then((r) => r.json().id as string)
  const crmContactId = await crm('POST', '/api/crm/contacts', { name: 'Matrix contact', phones: ['+40 733 000 001'] })
  const crmArchivedContactId = await crm('POST', '/api/crm/contacts', { name: 'Archived contact' })
  await call(ctx.app, 'POST', `/api/crm/contacts/${crmArchivedContactId}/archive`, flowAs)
  const crmTaskId = await crm('POST', `/api/crm/contacts/${crmContactId}/tasks`, { title: 'Call back' })
  const crmFieldId = await crm('POST', '/api/crm/fields', {
    entity: 'contact',
    key: 'vip',
    label: 'VIP',
    type: 'boolean',
  })
  const crmDealId = await crm('POST', '/api/crm/deals', { title: 'Party', contactId: crmContactId })
  const crmPipelineId = (await call(ctx.app, 'GET', '/api/crm/pipelines', flowAs)).json().items[0].id as string
  const crmBookingId = await crm('POST', '/api/crm/bookings', {
    contactId: crmContactId,
    date: '2026-03-14',
    timeZone: 'Europe/Bucharest',
    amount: { minor: 80000, currency: 'RON' },
  })
  const crmImportId = await crm('POST', '/api/crm/imports', {
    csv: 'Name,Phone\nLead,+40 733 000 002\n',
    source: 'matrix',
  })
  // A view shared with the client's members (the viewer may read it; only its owner changes it).
  const crmViewId = await crm('POST', '/api/crm/views', { name: 'VIPs', shared: true, filters: { tag: 'vip' } })
  const crmCampaignId = await crm('POST', '/api/crm/campaigns', {
    name: 'Matrix campaign',
    channelId,
    message: { type: 'text', text: 'Hello {{name}}' },
  })
  // A Google connection (no Google here: stored as a consent leaves it, then refused by Google — reconnect_required,
  // so its data routes answer 409 past authorization without a network call).
  const connectionId = 'conn_matrixmatrixmatrixmatrix'
  await ctx.container.db
    .insertInto('connectorConnections')
    .values({
      id: connectionId,
      workspaceId: a.workspaceId,
      clientId: a.clientId,
      provider: 'google',
      status: 'reconnect_required',
      createdBy: a.user.id,
    })
    .execute()
  const knowledgeDocumentId = await crm('POST', '/api/knowledge', {
    name: 'matrix.md',
    contentBase64: Buffer.from('# Matrix\n\nA passage.').toString('base64'),
  })
  // An alert of the workspace (to acknowledge) and its webhook (to remove).
  const { alert } = await ctx.container.alerts.raise(ctx.container.db, {
    workspaceId: a.workspaceId,
    kind: 'plan_limit',
    severity: 'warning',
    subject: 'matrix',
    title: 'Matrix alert',
    message: 'An alert for the matrix.',
  })
  await ctx.container.db
    .insertInto('alertWebhooks')
    .values({
      workspaceId: a.workspaceId,
      url: 'https://hooks.example.com/matrix',
      sealedSecret: 'sealed',
      hint: 'trix',
      updatedBy: a.user.id,
    })
    .execute()
  // A status page incident (the operator's; not tenant data).
  const incidentId = (
    await ctx.container.ops.incidents.post({
      title: 'Matrix incident',
      impact: 'minor',
      status: 'investigating',
      message: 'Looking into it.',
    })
  ).id
  const outsider = await onboard(ctx.app, 'tenant-b')
  const outsiderToken = (await createToken(ctx.app, outsider.user)).token
  const viewerToken = (await createToken(ctx.app, viewer)).token
  return {
    workspaceId: a.workspaceId,
    clientId: a.clientId,
    tokenId: apiToken.id,
    memberId: member.id,
    agentId,
    conversationId,
    meetingId,
    disputeId,
    mediaMessageId,
    checkoutId,
    flowId,
    pausedFlowId,
    archivedFlowId,
    flowRunId,
    waitingRunId,
    credentialId,
    channelId,
    threadId,
    messageId,
    crmContactId,
    crmArchivedContactId,
    crmTaskId,
    crmFieldId,
    crmDealId,
    crmPipelineId,
    crmBookingId,
    crmImportId,
    crmViewId,
    crmCampaignId,
    connectionId,
    knowledgeDocumentId,
    alertId: alert!.id,
    incidentId,
    invitationId: invite.json().invitation.id as string,
    invitationToken: new URL(invite.json().acceptUrl).pathname.split('/').pop()!,
    outsider: { cookie: outsider.user.cookie, workspaceId: outsider.workspaceId },
    outsiderToken,
    viewer: { cookie: viewer.cookie, workspaceId: a.workspaceId },
    viewerToken,
  }
}

/**
 * A digest of every tenant-owned table: any change made by a refused request shows up here. A token's
 * `last_used_at` is the caller's own bookkeeping (it moves when the outsider's token is used) and is left out.
 */
const digest = async (ctx: TestContext) => {
  const tables = [
    'users',
    'api_tokens',
    'workspaces',
    'memberships',
    'invitations',
    'clients',
    'audit_events',
    'alerts',
    'alert_webhooks',
    'agents',
    'agent_avatars',
    'conversations',
    'messages',
    'runs',
    'run_events',
    'meetings',
    'meeting_turns',
    'model_calls',
    'provider_keys',
    'credit_accounts',
    'credit_entries',
    'credit_holds',
    'credit_disputes',
    'credit_dispute_notes',
    'credit_caps',
    'model_prices',
    'credit_rates',
    'billing_checkouts',
    'workspace_subscriptions',
    'stripe_events',
    'flows',
    'flow_versions',
    'channels',
    'channel_sessions',
    'channel_auth',
    'inbox_contacts',
    'inbox_threads',
    'inbox_messages',
    'inbox_notes',
    'inbox_media',
    'flow_runs',
    'flow_steps',
    'flow_webhooks',
    'flow_credentials',
    'crm_settings',
    'crm_companies',
    'crm_field_definitions',
    'crm_contacts',
    'crm_contact_phones',
    'crm_contact_emails',
    'crm_contact_identities',
    'crm_pipelines',
    'crm_stages',
    'crm_deals',
    'crm_deal_stage_changes',
    'crm_bookings',
    'crm_contact_profiles',
    'crm_contact_spend',
    'crm_notes',
    'crm_tasks',
    'crm_extractions',
    'crm_imports',
    'crm_import_rows',
    'crm_views',
    'crm_campaigns',
    'crm_campaign_recipients',
    'crm_opt_outs',
    'crm_import_pages',
    'connector_connections',
    'knowledge_documents',
    'knowledge_chunks',
  ]
  const parts = await Promise.all(
    tables.map(
      async (t) =>
        (
          await sql<{
            d: string | null
          }>`select md5(coalesce(string_agg((to_jsonb(x) - 'last_used_at')::text, '|' order by x::text), '')) as d from ${sql.table(t)} x`.execute(
            ctx.container.db,
          )
        ).rows[0]?.d,
    ),
  )
  return parts.join(',')
}

let ctx: TestContext
let world: World
let routes: { method: string; path: string }[]

beforeAll(async () => {
  ctx = await createTestContext()
  world = await buildWorld(ctx)
  const doc = (await call(ctx.app, 'GET', '/api/openapi.json')).json() as {
    paths: Record<string, Record<string, unknown>>
  }
  routes = Object.entries(doc.paths)
    .filter(([path]) => path.includes('{'))
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })))
})
afterAll(async () => {
  await ctx.close()
})

const fill = (path: string, params: Record<string, string>) =>
  path.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (!(k in params)) throw new Error(`fixture for ${path} has no value for {${k}}`)
    return encodeURIComponent(params[k]!)
  })

const expectRefused = async (method: string, path: string, as: Caller, status: number, body?: unknown) => {
  const before = await digest(ctx)
  const res = await call(ctx.app, method as 'GET', path, as, body)
  expect.soft(res.statusCode, `${method} ${path} as ${JSON.stringify(Object.keys(as))}: ${res.body}`).toBe(status)
  expect.soft(res.json().error?.code, `${method} ${path} error code`).toBeTypeOf('string')
  expect(await digest(ctx), `${method} ${path} changed the database`).toBe(before)
}

describe('authorization matrix', () => {
  it('has a fixture for every OpenAPI route with a path id', () => {
    expect(routes.length).toBeGreaterThanOrEqual(Object.keys(FIXTURES).length)
    const missing = routes.map((r) => `${r.method} ${r.path}`).filter((k) => !(k in FIXTURES))
    expect(missing, 'add these routes to FIXTURES').toEqual([])
  })

  it('refuses anonymous callers with 401 on every route with a path id', async () => {
    for (const { method, path } of routes) {
      const f = FIXTURES[`${method} ${path}`]!
      await expectRefused(
        method,
        fill(path, f.params(world)),
        { headers: f.headers?.(world) },
        f.kind === 'capability' ? 404 : 401,
        f.body,
      )
    }
  }, 120_000)

  it('answers 404 to a member of another workspace, by cookie and by Bearer token, and changes nothing', async () => {
    for (const { method, path } of routes) {
      const f = FIXTURES[`${method} ${path}`]!
      const url = fill(path, f.params(world))
      const status = f.kind === 'operator' ? 401 : 404
      const headers = f.headers?.(world)
      await expectRefused(method, url, { cookie: world.outsider.cookie, headers }, status, f.body)
      await expectRefused(method, url, { token: world.outsiderToken, headers }, status, f.body)
      await expectRefused(
        method,
        url,
        { cookie: world.outsider.cookie, workspaceId: world.outsider.workspaceId, headers },
        status,
        f.body,
      )
    }
  }, 120_000)

  it('answers 403 to a viewer on every tenant route that writes, and changes nothing', async () => {
    const writes = routes.filter((r) => WRITE.has(r.method) && FIXTURES[`${r.method} ${r.path}`]!.kind === 'workspace')
    expect(writes.length).toBeGreaterThan(0)
    for (const { method, path } of writes) {
      const f = FIXTURES[`${method} ${path}`]!
      const url = fill(path, f.params(world))
      const headers = f.headers?.(world)
      await expectRefused(method, url, { cookie: world.viewer.cookie, headers }, 403, f.body)
      await expectRefused(method, url, { token: world.viewerToken, headers }, 403, f.body)
    }
  }, 120_000)

  it('lets the viewer read every tenant route that reads', async () => {
    const reads = routes.filter((r) => r.method === 'GET' && FIXTURES[`${r.method} ${r.path}`]!.kind === 'workspace')
    for (const { method, path } of reads) {
      const url = fill(path, FIXTURES[`${method} ${path}`]!.params(world))
      const res = await call(ctx.app, 'GET', url, { cookie: world.viewer.cookie })
      // Invitations are admin-only even to read; the world's number is a QR one, which has no templates, and its Google
      // connection needs a reconnect (409, past authorization).
      const expected = /\/(invitations|provider-keys|alerts|alerts\/stream|alerts\/webhook)$/.test(path)
        ? 403
        : /\/templates$|^\/api\/connectors\/\{id\}\/(ads|analytics)\//.test(path)
          ? 409
          : 200
      expect(res.statusCode, `${method} ${url}`).toBe(expected)
    }
  })
})
