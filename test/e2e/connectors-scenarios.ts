import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import type { BrowserContext, Page } from 'playwright-core'
import { startFakeGoogle, type FakeGoogle } from '../fakes/google.ts'
import { dismissToasts, onboard, type Scenario, type ScenarioContext } from './scenarios.ts'

/**
 * Google connections in the browser (issue 15 §5): connect a client's Google through the loopback fake's consent,
 * pick a manager's child account and a GA4 property, read the Ads and Analytics reports against the previous period;
 * then Google revokes the grant, the page asks to reconnect, and reconnecting brings the figures back.
 */
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
const GOOGLE = { clientId: 'e2e-google-client.apps.googleusercontent.com', clientSecret: 'e2e-google-secret' }
const MCC = '1111111111'
const CHILD = '2222222222'
const PROPERTY = '987654321'
const DAY_MS = 86_400_000

/** The fake Google, with an MCC and its child account, a GA4 property and figures in the last 60 days (UTC). */
export const startE2eGoogle = async () => {
  const fake = await startFakeGoogle(GOOGLE)
  // Counted back from when the fake is asked, so a run that crosses midnight still reads these windows.
  const daysAgo = (n: number) => () => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10)
  fake.addAccount({ id: MCC, name: 'Agency MCC', manager: true, children: [CHILD] }, { accessible: true })
  fake.addAccount({ id: CHILD, name: 'Bakery Rossi Ads', currency: 'EUR' })
  fake.addAccount({ id: '4444444444', name: 'Direct shop', currency: 'EUR' }, { accessible: true })
  const campaign = (id: string, name: string, ago: number, m: Record<string, number | string>) =>
    fake.addAdsRows({
      customerId: CHILD,
      kind: 'campaign',
      id,
      name,
      date: daysAgo(ago),
      impressions: 0,
      clicks: 0,
      costMicros: '0',
      conversions: 0,
      conversionsValue: 0,
      ...m,
    })
  // The last 30 days (ending yesterday): cost 50.00 EUR, 120 clicks; the 30 before: cost 40.00 EUR, 100 clicks.
  campaign('101', 'Brand search', 1, {
    impressions: 1000,
    clicks: 50,
    costMicros: '12500000',
    conversions: 2,
    conversionsValue: 80,
  })
  campaign('101', 'Brand search', 5, {
    impressions: 500,
    clicks: 30,
    costMicros: '7500000',
    conversions: 1,
    conversionsValue: 40,
  })
  campaign('102', 'Spring promo', 2, {
    impressions: 2000,
    clicks: 40,
    costMicros: '30000000',
    conversions: 3,
    conversionsValue: 150,
  })
  campaign('101', 'Brand search', 40, {
    impressions: 2500,
    clicks: 100,
    costMicros: '40000000',
    conversions: 4,
    conversionsValue: 200,
  })
  fake.addGaAccount({
    account: '555',
    displayName: 'Bakery Rossi GA',
    properties: [{ id: PROPERTY, name: 'bakery-rossi.ro' }],
  })
  const ga = (ago: number, metrics: Record<string, string>) =>
    fake.addGaRows({ propertyId: PROPERTY, dimension: 'date', value: '', date: daysAgo(ago), metrics })
  // 200 active users in the last 30 days, 100 in the 30 before.
  ga(1, { activeUsers: '120', newUsers: '40', sessions: '150', screenPageViews: '400', keyEvents: '3' })
  ga(3, { activeUsers: '80', newUsers: '20', sessions: '90', screenPageViews: '210', keyEvents: '2' })
  ga(35, { activeUsers: '100', newUsers: '30', sessions: '110', screenPageViews: '300', keyEvents: '1' })
  return {
    fake,
    env: {
      GOOGLE_CLIENT_ID: GOOGLE.clientId,
      GOOGLE_CLIENT_SECRET: GOOGLE.clientSecret,
      GOOGLE_OAUTH_BASE: fake.base,
      GOOGLE_ADS_API_BASE: fake.base,
      GOOGLE_ANALYTICS_API_BASE: fake.base,
    },
  }
}

const tile = (page: Page, list: string, label: string) =>
  page
    .getByRole('list', { name: list })
    .getByRole('listitem')
    .filter({ has: page.getByText(label, { exact: true }) })

/** Connections page → Connect Google → the fake's consent → back on the page, connected. */
const connectGoogle = async (page: Page, button: 'Connect Google' | 'Reconnect Google') => {
  await page.getByRole('button', { name: button }).click()
  await page.waitForURL(/\/app\/connections$/)
  await page.getByText('Connected', { exact: true }).waitFor()
}

const pickSources = async (page: Page) => {
  await page.getByLabel('Google Ads account').selectOption(`${CHILD}|${MCC}`)
  await page.getByRole('button', { name: 'Use this account' }).click()
  await page.getByText('Now: Bakery Rossi Ads').waitFor()
  await page.getByLabel('GA4 property').selectOption(PROPERTY)
  await page.getByRole('button', { name: 'Use this property' }).click()
  await page.getByText('Now: bakery-rossi.ro').waitFor()
  await dismissToasts(page)
}

/** Serious or critical axe findings on the connected page with its Ads figures (a CSP-free copy of the session). */
const axeProblems = async (ctx: ScenarioContext, from: BrowserContext) => {
  const context = await ctx.browser.newContext({ baseURL: ctx.baseUrl, bypassCSP: true })
  try {
    await context.addCookies(await from.cookies())
    const page = await context.newPage()
    await page.goto('/app/connections')
    await tile(page, 'Google Ads totals', 'Cost').getByText('+25.0%').waitFor()
    await page.addScriptTag({ path: AXE_PATH })
    type AxeResult = { violations: { id: string; impact: string | null; help: string }[] }
    const result = (await page.evaluate(async () =>
      (globalThis as unknown as { axe: { run(): Promise<AxeResult> } }).axe.run(),
    )) as AxeResult
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help}`)
  } finally {
    await context.close()
  }
}

const connectPickRead: Scenario = {
  name: 'connectors: not connected → Connect Google (consent) → pick an MCC child and a GA4 property → Ads and Analytics, last 30 days vs the previous 30',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Connectors Agency', 'Bakery Rossi')
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click()
      await page.waitForURL('**/app/connections')
      await page.getByText('Google is not connected').waitFor()
      // Never a figure while not connected.
      assert.equal(await page.getByRole('list', { name: 'Google Ads totals' }).count(), 0)
      await page.screenshot({ path: ctx.shot('connectors-01-not-connected'), fullPage: true })

      await connectGoogle(page, 'Connect Google')
      await page.getByText('Google connected', { exact: true }).waitFor()
      await pickSources(page)

      await page.getByLabel('Period', { exact: true }).selectOption('last_30_days')
      assert.equal(await page.getByLabel('Compare with the previous period').isChecked(), true)
      await page.getByRole('tab', { name: 'Google Ads' }).click()
      const cost = tile(page, 'Google Ads totals', 'Cost')
      await cost.getByText(/50[.,]00/).waitFor()
      await cost.getByText('+25.0%').waitFor()
      await tile(page, 'Google Ads totals', 'Clicks').getByText('+20.0%').waitFor()
      await tile(page, 'Google Ads totals', 'Impressions').getByText('+40.0%').waitFor()
      await page.getByRole('table', { name: 'Google Ads campaigns' }).getByText('Spring promo').waitFor()
      await page
        .getByRole('list', { name: /^Cost by campaign/ })
        .getByText('Brand search')
        .waitFor()
      assert.deepEqual(await axeProblems(ctx, context), [])
      await page.screenshot({ path: ctx.shot('connectors-02-ads'), fullPage: true })

      await page.getByRole('tab', { name: 'Analytics' }).click()
      const users = tile(page, 'GA4 totals', 'Active users')
      await users.getByText(/^200$/).waitFor()
      await users.getByText('+100.0%').waitFor()
      await tile(page, 'GA4 totals', 'Views').getByText('610').waitFor()
      await page.screenshot({ path: ctx.shot('connectors-03-analytics'), fullPage: true })
      await page.setViewportSize({ width: 390, height: 844 })
      await users.scrollIntoViewIfNeeded()
      await page.screenshot({ path: ctx.shot('connectors-04-analytics-phone'), fullPage: true })
      await page.getByRole('tab', { name: 'Google Ads' }).click()
      await cost.getByText('+25.0%').waitFor()
      await page.screenshot({ path: ctx.shot('connectors-05-ads-phone'), fullPage: true })
      assertNoErrors()
    } finally {
      await context.close()
    }
  },
}

const revokedReconnect = (google: FakeGoogle): Scenario => ({
  name: 'connectors: Google revokes the grant → the page says reconnect (no figures) → Reconnect Google → figures again',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Revoked Agency', 'Florist Verde')
    try {
      await page.goto('/app/connections')
      await connectGoogle(page, 'Connect Google')
      await pickSources(page)
      await tile(page, 'Google Ads totals', 'Cost').getByText('+25.0%').waitFor()
      assertNoErrors()

      // The person removes Camarad's access in their Google account: the next call is refused, the refresh too.
      google.revokeAll()
      await page.getByLabel('Period', { exact: true }).selectOption('last_7_days')
      await page.getByText('Reconnect required').waitFor()
      await page.getByText('Google no longer accepts this connection').first().waitFor()
      await page.getByText(/Google refused the refresh token/).waitFor()
      assert.equal(await page.getByRole('list', { name: 'Google Ads totals' }).count(), 0)
      await page.screenshot({ path: ctx.shot('connectors-06-reconnect-required'), fullPage: true })
      await page.setViewportSize({ width: 390, height: 844 })
      await page.screenshot({ path: ctx.shot('connectors-07-reconnect-required-phone'), fullPage: true })
      await page.setViewportSize({ width: 1280, height: 800 })

      await connectGoogle(page, 'Reconnect Google')
      // The same connection: its account and property are kept, and the figures read again.
      await page.getByText('Now: Bakery Rossi Ads').waitFor()
      await tile(page, 'Google Ads totals', 'Cost')
        .getByText(/50[.,]00/)
        .waitFor()
      await page.getByRole('tab', { name: 'Analytics' }).click()
      await tile(page, 'GA4 totals', 'Active users').getByText(/^200$/).waitFor()
      await page.screenshot({ path: ctx.shot('connectors-08-reconnected'), fullPage: true })
    } finally {
      await context.close()
    }
  },
})

export const connectorsScenarios = (google: FakeGoogle): Scenario[] => [connectPickRead, revokedReconnect(google)]
