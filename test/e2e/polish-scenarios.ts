import assert from 'node:assert/strict'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { networkSettled, onboard, trackNetwork, type Scenario } from './scenarios.ts'

/**
 * Issue 18 §2 and §3 as a user sees them: the sidebar at three window sizes (every item reachable, a screenshot per
 * page and size), and the toasts of failed actions carrying the error's human message (a 402 and a 409).
 */

/**
 * Every page is drawn at the laptop size the issue names (1280×900); the short laptop and the phone draw a
 * representative set (lists, a dashboard, the canvas list, the inbox, settings): every item is still opened at
 * every size, a screenshot costs the time.
 */
const REPRESENTATIVE = [
  '/app',
  '/app/flows',
  '/app/inbox',
  '/app/crm/contacts',
  '/app/settings/usage',
  '/app/settings/tokens',
]
const SIZES = [
  { name: '1280x720', width: 1280, height: 720, phone: false, shots: REPRESENTATIVE },
  { name: '1280x900', width: 1280, height: 900, phone: false, shots: 'all' },
  { name: '390x844', width: 390, height: 844, phone: true, shots: REPRESENTATIVE },
] as const

/** A signed-in context at a size, sharing the onboarded session's cookies; fails on console errors. */
const sizedContext = async (browser: Browser, from: BrowserContext, viewport: { width: number; height: number }) => {
  const context = trackNetwork(
    await browser.newContext({
      baseURL: new URL(from.pages()[0]!.url()).origin,
      viewport,
      storageState: await from.storageState(),
    }),
  )
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[1-4]/.test(m.text())) errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(e.message))
  return { context, page, errors }
}

/** Whether the point at the link's centre is the link itself (not the user menu, a header, an overlay). */
const isOnTop = (link: Locator) =>
  link.evaluate((el) => {
    const r = el.getBoundingClientRect()
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)
    return r.width > 0 && r.height > 0 && r.bottom <= window.innerHeight && hit !== null && el.contains(hit)
  })

const slug = (href: string) => href.replace(/^\/app\/?/, '').replace(/\//g, '-') || 'chat'

/** The sidebar's navigation: open on a phone (the header's Menu button), always there on a laptop. */
const navOf = async (page: Page, phone: boolean) => {
  const nav = page.getByRole('navigation', { name: 'Main' })
  if (phone) {
    await page.getByRole('button', { name: 'Menu', exact: true }).click()
    await nav.waitFor()
  }
  return nav
}

const sidebarAtThreeSizes: Scenario = {
  name:
    'layout: at 1280×720, 1280×900 and 390×844 every sidebar item is scrolled into view clear of the user menu and ' +
    'opens its page (the phone through its Menu); screenshots of every page at 1280×900, a set at the others',
  async run(ctx) {
    const owner = await onboard(ctx, 'Layout Agency', 'Layout Client')
    await owner.page.goto('/app')
    const links = owner.page.getByRole('navigation', { name: 'Main' }).getByRole('link')
    await links.last().waitFor()
    const hrefs = await links.evaluateAll((all) => all.map((a) => a.getAttribute('href')!))
    assert.ok(hrefs.length >= 20, `the sidebar lists the app's pages (${hrefs.length})`)
    assert.ok(hrefs.includes('/app/settings/tokens'), 'API tokens is in the sidebar')
    for (const size of SIZES) {
      const { context, page, errors } = await sizedContext(ctx.browser, owner.context, size)
      await page.goto('/app')
      await page.getByRole('heading', { level: 1 }).first().waitFor()
      for (const href of hrefs) {
        const nav = await navOf(page, size.phone)
        const link = nav.locator(`a[href="${href}"]`)
        await link.scrollIntoViewIfNeeded()
        assert.ok(await isOnTop(link), `${size.name}: the ${href} link is covered or off screen`)
        // The user menu stays below the navigation: it never overlaps the link.
        const footer = await page.getByRole('complementary', { name: 'Sidebar' }).locator('footer').boundingBox()
        const box = await link.boundingBox()
        assert.ok(box && footer && box.y + box.height <= footer.y + 0.5, `${size.name}: ${href} is under the menu`)
        await link.click()
        await page.waitForURL((u) => u.pathname === href || u.pathname === `${href}/`)
        await page.locator('main h1').first().waitFor()
        if (size.shots !== 'all' && !size.shots.includes(href)) continue
        await networkSettled(page, 300)
        await page.locator('[data-testid="skeleton"]').first().waitFor({ state: 'detached' })
        await page.screenshot({ path: ctx.shot(`95-layout-${size.name}-${slug(href)}`) })
      }
      // The phone's menu open on its last item; it closes with Escape, from the keyboard.
      if (size.phone) {
        const nav = await navOf(page, true)
        await nav.locator(`a[href="${hrefs.at(-1)}"]`).scrollIntoViewIfNeeded()
        await page.screenshot({ path: ctx.shot(`95-layout-${size.name}-menu`) })
        await page.keyboard.press('Escape')
        await nav.waitFor({ state: 'hidden' })
      }
      assert.deepEqual(errors, [], `${size.name}: browser console errors: ${errors.join(' | ')}`)
      await context.close()
    }
    // A very short window: the navigation still shows its last item above the user menu.
    const { context, page } = await sizedContext(ctx.browser, owner.context, { width: 1280, height: 420 })
    await page.goto('/app/settings/tokens')
    const last = page.getByRole('navigation', { name: 'Main' }).locator(`a[href="${hrefs.at(-1)}"]`)
    await last.scrollIntoViewIfNeeded()
    assert.ok(await isOnTop(last), 'at 1280×420 the last sidebar item is reachable')
    await page.screenshot({ path: ctx.shot('95-layout-1280x420-short') })
    await context.close()
    owner.assertNoErrors()
    await owner.context.close()
  },
}

const failureToasts: Scenario = {
  name:
    'toasts: a client past the Free plan (402) and an invitation to a member (409) each show a toast with the ' +
    "error's human message; a success shows one too",
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Toast Agency', 'Toast Client')
    const toasts = page.getByRole('status', { name: 'Notifications' })
    await page.goto('/app/clients')
    await page.getByLabel('Client name').fill('Second Toast Client')
    await page.getByRole('button', { name: 'Add client' }).click()
    await toasts.getByText('Client “Second Toast Client” added').waitFor()

    // 402: the Free plan allows 2 clients.
    await page.getByLabel('Client name').fill('One Client Too Many')
    await page.getByRole('button', { name: 'Add client' }).click()
    const limit = toasts
      .locator('div')
      .filter({ hasText: /^The Free plan allows 2 clients and this workspace has 2\./ })
    await limit.waitFor()
    await limit.getByRole('link', { name: 'See plans' }).waitFor()
    assert.match((await limit.textContent()) ?? '', /Upgrade your plan to add more\./)
    await page.screenshot({ path: ctx.shot('96-toast-402-plan-limit') })
    // Checked before the 409, which the browser logs as a console error.
    assertNoErrors()

    // 409: inviting someone who is already a member (here, the owner).
    const me = (await (await page.request.get('/api/auth/status')).json()) as { user: { email: string } }
    await page.goto('/app/settings/members')
    await page.getByLabel('Invitee email').fill(me.user.email)
    await page.getByRole('button', { name: 'Send invitation' }).click()
    await toasts.getByText('This person is already a member of the workspace.').waitFor()
    await page.screenshot({ path: ctx.shot('96-toast-409-already-member') })
    await context.close()
  },
}

export const polishScenarios: Scenario[] = [sidebarAtThreeSizes, failureToasts]
