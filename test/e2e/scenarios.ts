import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import type { Browser, BrowserContext, Page, Request } from 'playwright-core'

export type ScenarioContext = {
  browser: Browser
  baseUrl: string
  shot: (name: string) => string
  internalToken?: string
  /** The link (`/verify-email?token=…`, `/reset-password?token=…`) of the newest email sent to `to` whose link starts with `path`. */
  emailLink: (to: string, path: '/verify-email' | '/reset-password') => Promise<string>
}
export type Scenario = { name: string; run: (ctx: ScenarioContext) => Promise<void> }

const TIMEOUT = 15_000
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
let seq = 0
const email = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}@e2e.test`

const inflight = new WeakMap<BrowserContext, Set<Request>>()

/** Counts a context's requests in flight (for `networkSettled`), leaving out live event streams once they answer. */
export const trackNetwork = (context: BrowserContext) => {
  if (inflight.has(context)) return context
  const open = new Set<Request>()
  inflight.set(context, open)
  const done = (r: Request) => void open.delete(r)
  context.on('request', (r) => void open.add(r))
  context.on('requestfinished', done)
  context.on('requestfailed', done)
  context.on('response', (res) => {
    if ((res.headers()['content-type'] ?? '').startsWith('text/event-stream')) done(res.request())
  })
  return context
}

/**
 * Playwright's 'networkidle' (nothing in flight for 500 ms) minus live event streams: an admin's app keeps its alert
 * stream open, so 'networkidle' itself never comes. The context must be tracked (`trackNetwork`) from its first page.
 */
export const networkSettled = async (page: Page, quietMs = 500) => {
  await page.waitForLoadState('load')
  const open = inflight.get(page.context())
  if (!open) throw new Error('networkSettled: trackNetwork(context) when the context is made')
  const deadline = Date.now() + TIMEOUT
  let quietSince = Date.now()
  while (Date.now() - quietSince < quietMs) {
    if (Date.now() > deadline)
      throw new Error(`the network did not settle: ${[...open].map((r) => r.url()).join(', ')}`)
    if (open.size) quietSince = Date.now()
    await new Promise((ok) => setTimeout(ok, 50))
  }
}

/** A browser context that fails the scenario on any console error (CSP violations included). */
/** Closes the toasts still on screen (they would cover the page in its screenshot). */
export const dismissToasts = async (page: Page) => {
  const dismiss = page.getByRole('button', { name: 'Dismiss notification' })
  while ((await dismiss.count()) > 0) await dismiss.first().click()
}

export const openPage = async (ctx: ScenarioContext, viewport = { width: 1280, height: 800 }) => {
  const context: BrowserContext = trackNetwork(await ctx.browser.newContext({ baseURL: ctx.baseUrl, viewport }))
  const page = await context.newPage()
  page.setDefaultTimeout(TIMEOUT)
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[1-4]/.test(m.text())) errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(e.message))
  return {
    page,
    context,
    assertNoErrors: () => assert.deepEqual(errors, [], `browser console errors: ${errors.join(' | ')}`),
  }
}

export const signUp = async (page: Page, who: { name: string; email: string; password: string }) => {
  await page.getByLabel('Name', { exact: true }).fill(who.name)
  await page.getByLabel('Email', { exact: true }).fill(who.email)
  await page.getByLabel('Password', { exact: true }).fill(who.password)
  await page.getByRole('button', { name: 'Create account' }).click()
}

/** Opens the verification link emailed to `address` in `page`: the person is verified (welcome credits go to verified people). */
export const confirmEmail = async (ctx: ScenarioContext, page: Page, address: string) => {
  await page.goto(await ctx.emailLink(address, '/verify-email'))
  await page.getByText('Your email is verified').waitFor()
}

export const newEmail = email

export const onboard = async (
  ctx: ScenarioContext,
  workspace: string,
  client: string,
  viewport?: { width: number; height: number },
) => {
  const session = await openPage(ctx, viewport)
  const { page } = session
  const address = email('owner')
  await page.goto('/signup')
  await signUp(page, { name: `${workspace} owner`, email: address, password: 'a long e2e passphrase' })
  await page.waitForURL('**/onboarding')
  await confirmEmail(ctx, page, address)
  await page.goto('/onboarding')
  await page.getByLabel('Workspace name').fill(workspace)
  await page.getByLabel('First client name').fill(client)
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.waitForURL(/\/app\/?$/)
  return session
}

const agencyJourney: Scenario = {
  name: 'sign up → onboard → add a client → invite a member → the member accepts, sees only that workspace → creates an API token',
  async run(ctx) {
    // Another agency exists on the same server; the invited member must never see it.
    const other = await onboard(ctx, 'Other Agency', 'Secret Client')
    await other.context.close()

    const owner = await openPage(ctx)
    const { page } = owner
    await page.goto('/')
    await page.getByRole('link', { name: 'Sign up' }).first().waitFor()
    await page.screenshot({ path: ctx.shot('01-landing'), fullPage: true })
    await page.getByRole('link', { name: 'Sign up' }).first().click()
    await page.waitForURL('**/signup')
    await signUp(page, { name: 'Olivia Owner', email: email('olivia'), password: 'a long e2e passphrase' })
    await page.waitForURL('**/onboarding')
    await page.screenshot({ path: ctx.shot('02-onboarding') })
    await page.getByLabel('Workspace name').fill('Acme Agency')
    await page.getByLabel('First client name').fill('Bakery Rossi')
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL(/\/app\/?$/)
    await page.locator('main').getByText('Bakery Rossi').first().waitFor()
    await page.screenshot({ path: ctx.shot('03-app-overview') })

    await page.goto('/app/clients')
    await page.getByLabel('Client name').fill('Studio Verde')
    await page.getByRole('button', { name: 'Add client' }).click()
    await page.getByRole('link', { name: 'Studio Verde' }).first().waitFor()
    await page.screenshot({ path: ctx.shot('04-clients') })

    const memberEmail = email('mario')
    await page.goto('/app/settings/members')
    await page.getByLabel('Invitee email').fill(memberEmail)
    await page.getByLabel('Role', { exact: true }).selectOption('member')
    await page.getByRole('button', { name: 'Send invitation' }).click()
    const inviteUrl = (await page.getByTestId('invite-url').textContent())?.trim() ?? ''
    assert.match(inviteUrl, /\/invite\/[\w-]+$/)
    await page.screenshot({ path: ctx.shot('05-invitation') })
    owner.assertNoErrors()

    const member = await openPage(ctx)
    const m = member.page
    await m.goto(inviteUrl)
    await m.getByRole('link', { name: 'Create an account' }).click()
    await m.waitForURL('**/signup**')
    await signUp(m, { name: 'Mario Member', email: memberEmail, password: 'another e2e passphrase' })
    await m.waitForURL('**/invite/**')
    await m.getByRole('button', { name: 'Accept invitation' }).click()
    await m.waitForURL(/\/app/)
    const switcher = m.getByLabel('Workspace', { exact: true })
    await switcher.waitFor()
    const options = await switcher.locator('option').allTextContents()
    assert.equal(options.filter((o) => /Agency/.test(o)).length, 1, `member sees workspaces: ${options.join(', ')}`)
    assert.match(options.join(), /Acme Agency/)
    await m.goto('/app/clients')
    await m.getByRole('link', { name: 'Studio Verde' }).first().waitFor()
    assert.equal(await m.getByText('Secret Client').count(), 0, "another agency's client is visible")
    await m.screenshot({ path: ctx.shot('06-member-clients') })

    await m.goto('/app/settings/tokens')
    await m.getByLabel('Token name').fill('CI integration')
    await m.getByRole('button', { name: 'Create token' }).click()
    const token = (await m.getByTestId('new-token').textContent())?.trim() ?? ''
    assert.match(token, /^cmr_/)
    await m.screenshot({ path: ctx.shot('07-api-token') })

    // The token works from outside the browser, scoped like its user.
    const workspaceId = await switcher.inputValue().catch(() => '')
    const status = (await (
      await fetch(`${ctx.baseUrl}/api/auth/status`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { workspaces: { id: string; name: string }[] }
    assert.deepEqual(
      status.workspaces.map((w) => w.name),
      ['Acme Agency'],
    )
    const clients = await fetch(`${ctx.baseUrl}/api/clients`, {
      headers: { authorization: `Bearer ${token}`, 'x-workspace-id': workspaceId || status.workspaces[0]!.id },
    })
    assert.equal(clients.status, 200)
    assert.deepEqual(((await clients.json()) as { items: { name: string }[] }).items.map((c) => c.name).sort(), [
      'Bakery Rossi',
      'Studio Verde',
    ])
    member.assertNoErrors()
    await owner.context.close()
    await member.context.close()
  },
}

const publicPages: Scenario = {
  name: 'landing, legal pages and 404 render; every link on them leads somewhere',
  async run(ctx) {
    const { page, context, assertNoErrors } = await openPage(ctx)
    // The app's code is its own chunk (web/src/app/app-routes.tsx): public pages never download it.
    const scripts: string[] = []
    page.on('request', (r) => {
      if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname)
    })
    const hrefs = new Set<string>()
    for (const path of [
      '/',
      '/terms',
      '/privacy',
      '/legal',
      '/refunds',
      '/dpa',
      '/subprocessors',
      '/cookies',
      '/login',
      '/signup',
    ]) {
      await page.goto(path)
      await page.locator('main').first().waitFor()
      if (path !== '/') await page.getByRole('heading', { level: 1 }).first().waitFor()
      for (const href of await page
        .locator('a[href^="/"]')
        .evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? '')))
        hrefs.add(href)
    }
    assert.ok(scripts.length > 0)
    assert.deepEqual(
      scripts.filter((p) => /app-routes|operator/i.test(p)),
      [],
      'a public page loaded the app chunk',
    )
    // …and the app does, in its own chunk (a signed-out visitor is sent on to sign in from there).
    await page.goto('/app')
    await page.waitForURL(/\/login/)
    assert.ok(
      scripts.some((p) => /app-routes/.test(p)),
      `the app chunk was not loaded for /app: ${scripts.join(', ')}`,
    )
    await page.goto('/terms')
    await page.getByRole('heading', { name: 'Terms of Service' }).waitFor()
    await page.screenshot({ path: ctx.shot('08-terms'), fullPage: true })
    for (const href of hrefs) {
      const res = await fetch(ctx.baseUrl + href)
      assert.equal(res.status, 200, `dead link ${href}`)
    }
    const missing = await page.goto('/no-such-page')
    assert.equal(missing?.status(), 404)
    await page
      .getByText(/page not found/i)
      .first()
      .waitFor()
    await page.screenshot({ path: ctx.shot('09-not-found') })
    assertNoErrors()
    await context.close()
  },
}

const mobileLayout: Scenario = {
  name: 'the app is usable on a phone-sized screen (sidebar behind a menu button)',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Mobile Agency', 'Cafe Uno', {
      width: 390,
      height: 844,
    })
    const nav = page.getByRole('navigation', { name: 'Main' })
    assert.equal(await nav.isVisible(), false, 'the sidebar should be folded away on a phone')
    await page.getByRole('button', { name: 'Menu' }).click()
    await nav.waitFor({ state: 'visible' })
    await page.screenshot({ path: ctx.shot('10-mobile-menu') })
    await nav.getByRole('link', { name: 'Clients' }).click()
    await page.waitForURL('**/app/clients')
    await page.getByRole('link', { name: 'Cafe Uno' }).first().waitFor()
    assertNoErrors()
    await context.close()
  },
}

type AxeResult = { violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }

/** axe-core on each page: no serious or critical violation (CSP is bypassed only to inject the checker). */
const accessibility: Scenario = {
  name: 'public pages and every app page pass axe-core with no serious or critical violation',
  async run(ctx) {
    const owner = await onboard(ctx, 'Axe Agency', 'Axe Client')
    const cookies = await owner.context.cookies()
    await owner.context.close()
    const context = trackNetwork(await ctx.browser.newContext({ baseURL: ctx.baseUrl, bypassCSP: true }))
    await context.addCookies(cookies)
    const page = await context.newPage()
    page.setDefaultTimeout(TIMEOUT)
    const problems: string[] = []
    for (const path of [
      '/',
      '/login',
      '/signup',
      '/terms',
      '/app',
      '/app/clients',
      '/app/knowledge',
      '/app/settings/profile',
      '/app/settings/members',
      '/app/settings/tokens',
      '/app/settings/audit',
      '/no-such-page',
    ]) {
      if (path === '/login' || path === '/signup') await context.clearCookies()
      if (path === '/app') await context.addCookies(cookies)
      await page.goto(path)
      await page.locator('main').first().waitFor()
      await networkSettled(page)
      await page.addScriptTag({ path: AXE_PATH })
      const result = (await page.evaluate(async () =>
        (globalThis as unknown as { axe: { run(): Promise<AxeResult> } }).axe.run(),
      )) as AxeResult
      for (const v of result.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical'))
        problems.push(
          `${path}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes
            .map((n) => JSON.stringify(n.target))
            .slice(0, 3)
            .join(', ')}`,
        )
    }
    await context.close()
    assert.deepEqual(problems, [])
  },
}

const chatJourney: Scenario = {
  name: 'choose an agent, ask, watch it stream on the offline model, stop an answer, reload and find the history',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Chat Agency', 'Trattoria Roma')
    await page.goto('/app')
    await page.getByRole('article').filter({ hasText: 'PPC Specialist' }).first().waitFor()
    await page.screenshot({ path: ctx.shot('11-agents-grid'), fullPage: true })
    await page.getByRole('button', { name: 'Chat with PPC Specialist' }).click()
    await page.waitForURL('**/app/chat/**')
    await page.getByLabel('Message', { exact: true }).fill('How should we split a €3,000 monthly budget?')
    await page.getByRole('button', { name: 'Send', exact: true }).click()
    const answers = page.getByTestId('assistant-message')
    await answers.first().waitFor()
    await page.getByTestId('offline-banner').first().waitFor()
    await page.locator('[data-testid="assistant-message"][data-status="complete"]').first().waitFor({ timeout: 30_000 })
    const first = (await answers.first().textContent()) ?? ''
    assert.match(first, /offline/i)
    await page.screenshot({ path: ctx.shot('12-chat-answer') })

    await page.getByLabel('Message', { exact: true }).fill('Now write a full quarterly plan with every campaign.')
    await page.getByRole('button', { name: 'Send', exact: true }).click()
    await page.getByRole('button', { name: 'Stop' }).click()
    await page
      .locator('[data-testid="assistant-message"][data-status="cancelled"]')
      .first()
      .waitFor({ timeout: 30_000 })
    await page.screenshot({ path: ctx.shot('13-chat-stopped') })

    await page.reload()
    await page.locator('[data-testid="assistant-message"][data-status="complete"]').first().waitFor()
    await page.locator('[data-testid="assistant-message"][data-status="cancelled"]').first().waitFor()
    assert.equal(await page.getByTestId('assistant-message').count(), 2)
    await page.getByText('How should we split a €3,000 monthly budget?').first().waitFor()
    await page.screenshot({ path: ctx.shot('14-chat-history-after-reload') })
    assertNoErrors()
    await context.close()
  },
}

const boardroomJourney: Scenario = {
  name: 'run a boardroom of three agents on the offline model and read the summary; try the public demo',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Board Agency', 'Gelateria Blu')
    await page.goto('/app/boardroom')
    await page.getByLabel('Topic').fill('How do we get more summer catering orders?')
    for (const name of ['PPC Specialist', 'SEO & Content Strategist', 'Copywriter'])
      await page.getByLabel(name, { exact: true }).check()
    await page.getByRole('button', { name: 'Start meeting' }).click()
    await page.waitForURL('**/app/boardroom/**')
    await page.getByTestId('meeting-turn').first().waitFor()
    await page.getByTestId('offline-banner').first().waitFor()
    await page.getByTestId('meeting-summary').waitFor({ timeout: 60_000 })
    await page.locator('[data-testid="meeting-turn"][data-status="complete"]').nth(2).waitFor({ timeout: 60_000 })
    assert.ok((await page.getByTestId('meeting-turn').count()) >= 3)
    await page.screenshot({ path: ctx.shot('15-boardroom-summary'), fullPage: true })
    await page.reload()
    await page.getByTestId('meeting-summary').waitFor()
    assertNoErrors()
    await context.close()

    const demo = await openPage(ctx)
    await demo.page.goto('/chat-demo')
    await demo.page.getByTestId('demo-banner').waitFor()
    await demo.page.getByLabel('Message', { exact: true }).fill('How do I start with Google Ads?')
    await demo.page.getByRole('button', { name: 'Send', exact: true }).click()
    await demo.page
      .getByText(/offline model/i)
      .first()
      .waitFor({ timeout: 30_000 })
    await demo.page.screenshot({ path: ctx.shot('16-public-demo') })
    demo.assertNoErrors()
    await demo.context.close()
  },
}

export const scenarios: Scenario[] = [
  agencyJourney,
  publicPages,
  mobileLayout,
  accessibility,
  chatJourney,
  boardroomJourney,
]
