import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import { startFakeGoogle } from '../fakes/google.ts'
import { startFakeOpenAI } from '../fakes/openai-upstream.ts'
import { onboard, type Scenario } from './scenarios.ts'

/**
 * The Growth War Room (issue 15 §8) on a server of its own: Google Ads and GA4 through a loopback fake of Google, and a
 * loopback fake OpenAI whose agents speak from the figures they were given (and call `ads_report` when offered it).
 * The client is connected through the API (start → the fake's consent → our callback), not the connectors page.
 */
const GOOGLE = { clientId: 'camarad-e2e-warroom', clientSecret: 'e2e-warroom-secret' }
const MCC = '5555555555'
const CHILD = '6666666666'
const PROPERTY = '246813579'
const DAY_MS = 86_400_000
/** A day `n` days before today (UTC). */
const daysAgo = (n: number, now = Date.now()) => new Date(now - n * DAY_MS).toISOString().slice(0, 10)

type Tooled = { role: string; content: unknown }
/** What the fake model answers: figures it was given (a tool result, a meeting brief), never invented ones. */
const reply = (body: Record<string, unknown>) => {
  const messages = body.messages as Tooled[]
  const system = String(messages.find((m) => m.role === 'system')?.content ?? '')
  const tool = messages.findLast((m) => m.role === 'tool')
  if (tool) {
    const r = JSON.parse(String(tool.content)) as {
      range: { from: string; to: string }
      currency: string
      totals: { cpa: string; cost: string; conversions: string }
      previous: { range: { from: string; to: string }; totals: { cpa: string } }
    }
    return (
      `CPA rose to ${r.totals.cpa} ${r.currency} from ${r.range.from} to ${r.range.to}, up from ` +
      `${r.previous.totals.cpa} ${r.currency} (${r.previous.range.from} to ${r.previous.range.to}): cost ` +
      `${r.totals.cost} ${r.currency} for ${r.totals.conversions} conversions.`
    )
  }
  if (system.includes('moderator of a meeting'))
    return [
      'The PPC Specialist and the Data Analyst agree that Generic drove the CPA up.',
      '',
      '## Decisions',
      '- Cut the Generic campaign budget by 30% this week.',
      '- Move the saved budget to Brand, whose CPA held.',
      '',
      '## Action items',
      '- PPC Specialist: lower the Generic budget and add negative keywords today.',
      '- SEO & Content Strategist: write a landing page for the top Generic query.',
    ].join('\n')
  const cpa = /"cpa":"([\d.]+)"/.exec(system)?.[1]
  return cpa ? `CPA is ${cpa} RON this week; Generic is the cause.` : 'I need the Ads figures to judge.'
}

/** The fakes and the env of the War Room's server; `close` stops the fakes. */
export const startWarRoomServices = async () => {
  const google = await startFakeGoogle(GOOGLE)
  const model = await startFakeOpenAI({
    reply,
    toolCalls: [{ id: 'call_ads', name: 'ads_report', arguments: '{"preset":"last_7_days","compare":true}' }],
  })
  google.addAccount({ id: MCC, name: 'Agency MCC', manager: true, children: [CHILD] }, { accessible: true })
  google.addAccount({ id: CHILD, name: 'Bakery', currency: 'RON' })
  // Last week: 700 RON for 14 conversions (CPA 50); the week before: 700 RON for 35 (CPA 20). Days are counted back from
  // when the fake is asked, so a run that crosses midnight reads the same weeks (CI once did: 600 RON for 12).
  for (let n = 1; n <= 14; n++)
    google.addAdsRows({
      customerId: CHILD,
      kind: 'campaign',
      id: '201',
      name: 'Generic',
      date: () => daysAgo(n),
      impressions: 1000,
      clicks: 40,
      costMicros: '100000000',
      conversions: n <= 7 ? 2 : 5,
      conversionsValue: 0,
    })
  google.addGaAccount({ account: '777', displayName: 'Bakery GA', properties: [{ id: PROPERTY, name: 'bakery.ro' }] })
  for (let n = 1; n <= 14; n++)
    google.addGaRows({
      propertyId: PROPERTY,
      dimension: 'date',
      value: '',
      date: () => daysAgo(n),
      metrics: { activeUsers: '100', sessions: '120', screenPageViews: '300', keyEvents: '2' },
    })
  return {
    env: {
      OPENAI_API_KEY: 'sk-e2e-warroom',
      OPENAI_BASE_URL: model.url,
      GOOGLE_CLIENT_ID: GOOGLE.clientId,
      GOOGLE_CLIENT_SECRET: GOOGLE.clientSecret,
      GOOGLE_OAUTH_BASE: google.base,
      GOOGLE_ADS_API_BASE: google.base,
      GOOGLE_ANALYTICS_API_BASE: google.base,
      // Demo data for clients without a connection (issue 15 §4): the demo scenario below; connected clients read Google.
      CONNECTORS_DEMO_DATA: 'true',
      PLANS_FILE: 'test/fixtures/plans-unlimited.json',
      CREDITS_WELCOME: '50',
      INTERNAL_TOKEN: 'e2e-operator-token-0123456789-abcdefgh',
    },
    close: async () => {
      await google.close()
      await model.close()
    },
  }
}

/** Connects the first client to Google through the API, as the browser's connect button does, and picks the accounts. */
const connectGoogle = async (page: Page) => {
  const status = (await (await page.request.get('/api/auth/status')).json()) as { workspaces: { id: string }[] }
  const workspaceId = status.workspaces[0]!.id
  const clients = (await (
    await page.request.get('/api/clients', { headers: { 'x-workspace-id': workspaceId } })
  ).json()) as { items: { id: string }[] }
  const clientId = clients.items[0]!.id
  // State changes carry the page's origin, as the app's own requests do (CSRF).
  const headers = { origin: new URL(page.url()).origin }
  const start = await page.request.post('/api/connectors/google/start', { headers, data: { clientId } })
  assert.equal(start.status(), 200, await start.text())
  const consent = await fetch(((await start.json()) as { url: string }).url, { redirect: 'manual' })
  const callback = new URL(consent.headers.get('location')!)
  // Back from Google's consent: the callback reads the state cookie the start set in this browser.
  await page.goto(callback.pathname + callback.search)
  const list = (await (await page.request.get(`/api/connectors?clientId=${clientId}`)).json()) as {
    items: { id: string }[]
  }
  const id = list.items[0]!.id
  const ads = await page.request.put(`/api/connectors/${id}/ads/account`, {
    headers,
    data: { customerId: CHILD, loginCustomerId: MCC },
  })
  assert.equal(ads.status(), 200, await ads.text())
  const ga = await page.request.put(`/api/connectors/${id}/analytics/property`, {
    headers,
    data: { propertyId: PROPERTY },
  })
  assert.equal(ga.status(), 200, await ga.text())
  return { clientId }
}

const warRoom: Scenario = {
  name: 'warroom: create a flow from the Growth War Room template, run it, see decisions and action items, export the trace as Markdown',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'War Room Agency', 'Brutăria Nouă', {
      width: 1280,
      height: 900,
    })
    try {
      const { clientId } = await connectGoogle(page)
      await page.goto('/app/flows')
      await page.getByRole('button', { name: 'From a template' }).first().click()
      const gallery = page.getByRole('dialog', { name: 'Start from a template' })
      await gallery.getByRole('button', { name: 'Use template Growth War Room' }).click()
      await page.waitForURL(/\/app\/flows\/[^/]+$/)
      await page.getByText('No problems found').waitFor()
      await page.screenshot({ path: ctx.shot('warroom-01-flow') })
      await page.getByRole('button', { name: 'Publish', exact: true }).click()
      await page.getByText(/^v1, published/).waitFor()
      await page.getByRole('button', { name: 'Run with test input' }).click()
      const dialog = page.getByRole('dialog', { name: 'Run with test input' })
      await dialog.getByRole('button', { name: /^Run/ }).click()
      await dialog.waitFor({ state: 'hidden' })

      // The run's page: the decisions and action items of the meeting, once the run has finished.
      const runs = (await (
        await page.request.get('/api/flows/runs', { headers: { 'x-client-id': clientId } })
      ).json()) as { items: { id: string }[] }
      const runId = runs.items[0]!.id
      await page.goto(`/app/flows/runs/${runId}`)
      await page.getByRole('heading', { name: 'Run of Growth War Room' }).waitFor()
      const outcome = page.getByRole('region', { name: 'War room: decisions' })
      await outcome.waitFor({ timeout: 60_000 })
      await outcome.getByText('Cut the Generic campaign budget by 30% this week.').waitFor()
      await outcome.getByText('lower the Generic budget and add negative keywords today.').waitFor()
      await outcome.getByText('SEO & Content Strategist', { exact: true }).waitFor()
      await page.screenshot({ path: ctx.shot('warroom-02-decisions'), fullPage: true })

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export trace' }).click(),
      ])
      assert.equal(download.suggestedFilename(), `${runId}.md`)
      const md = await readFile((await download.path())!, 'utf8')
      assert.match(md, /^# Growth War Room: run /)
      assert.match(md, /\| Flow \| Growth War Room \(`fl_[\w-]+`\), version 1 \|/)
      assert.match(md, /\| Status \| completed \|/)
      for (const step of ['Date range', 'Ads report', 'Analytics report', 'Figures', 'Brief', 'War room', 'Decisions'])
        assert.ok(md.includes(`. ${step} (\``), `the trace has the step ${step}`)
      assert.match(md, /\*\*PPC Specialist\*\* \(round 1\):\n\n> CPA is 50 RON this week; Generic is the cause\./)
      assert.ok(md.includes('- Cut the Generic campaign budget by 30% this week.'))
      assert.ok(md.includes('- **PPC Specialist**: lower the Generic budget and add negative keywords today.'))
      assertNoErrors()
    } finally {
      await context.close()
    }
  },
}

const whyCpa: Scenario = {
  name: 'warroom: ask the PPC Specialist "why did CPA rise last week?" and get an answer citing the range and figures',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'CPA Agency', 'Cofetăria Mare')
    try {
      await connectGoogle(page)
      await page.goto('/app')
      await page.getByRole('button', { name: 'Chat with PPC Specialist' }).click()
      await page.waitForURL('**/app/chat/**')
      await page.getByLabel('Message', { exact: true }).fill('Why did CPA rise last week?')
      const asked = Date.now()
      await page.getByRole('button', { name: 'Send', exact: true }).click()
      const answer = page.locator('[data-testid="assistant-message"][data-status="complete"]').first()
      await answer.waitFor({ timeout: 30_000 })
      const card = answer.getByTestId('tool-card')
      await card.filter({ hasText: 'ads_report' }).waitFor()
      assert.equal(await card.getAttribute('data-status'), 'done')
      const text = (await answer.textContent()) ?? ''
      // The ranges are yesterday's and the day before's weeks on the day the question was asked (two candidates when the
      // run crossed midnight in between: the figures are the same either way).
      const expected = [asked, Date.now()].map(
        (now) =>
          `CPA rose to 50 RON from ${daysAgo(7, now)} to ${daysAgo(1, now)}, up from 20 RON (${daysAgo(14, now)} to ` +
          `${daysAgo(8, now)}): cost 700 RON for 14 conversions.`,
      )
      assert.ok(
        expected.some((e) => text.includes(e)),
        `the answer cites the figures: ${text}`,
      )
      await page.screenshot({ path: ctx.shot('warroom-03-why-cpa'), fullPage: true })
      assertNoErrors()
    } finally {
      await context.close()
    }
  },
}

/** Demo-data mode (issue 15 §4): only when switched on, only for a client without a connection, labelled everywhere. */
const demoData: Scenario = {
  name: 'connectors: with demo data on, a client without a connection shows sample figures labelled "Demo data"',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Demo Agency', 'Florăria Demo')
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click()
      await page.waitForURL('**/app/connections')
      await page.getByText('Google is not connected').waitFor()
      await page.getByRole('status').filter({ hasText: 'This server shows sample figures' }).waitFor()
      await page.getByRole('tab', { name: 'Google Ads' }).click()
      const totals = page.getByRole('list', { name: 'Google Ads totals' })
      await totals.waitFor()
      // Every figure area of the report carries the label.
      const areas = page.getByRole('tabpanel').locator('section[aria-label]')
      const count = await areas.count()
      assert.ok(count >= 1)
      for (let i = 0; i < count; i++) await areas.nth(i).getByText('Demo data', { exact: true }).first().waitFor()
      await page.screenshot({ path: ctx.shot('connectors-09-demo-data'), fullPage: true })
      await page.getByRole('tab', { name: 'Analytics' }).click()
      await page.getByRole('tabpanel').getByText('Demo data', { exact: true }).first().waitFor()
      await assertNoErrors()
    } finally {
      await context.close()
    }
  },
}

export const warroomScenarios = [warRoom, whyCpa, demoData]
