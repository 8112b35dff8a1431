import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { networkSettled, onboard, openPage, type Scenario } from './scenarios.ts'
import { axeContext, axeProblems } from './usage-scenarios.ts'

type Plan = {
  id: string
  name: string
  priceMonthlyCents: number
  monthlyCredits: number
  limits: Record<string, number | null>
}

const catalog = async (page: Page) =>
  (await (await page.request.get('/api/plans')).json()) as { plans: Plan[]; billingEnabled: boolean }
const workspaceOf = async (page: Page) =>
  ((await (await page.request.get('/api/auth/status')).json()) as { workspaces: { id: string }[] }).workspaces[0]!.id
const digits = (s: string | null) => (s ?? '').replace(/[^\d]/g, '')

const pricing: Scenario = {
  name:
    'pricing: linked from the landing page and the footer, every plan of the API with its price, credits and ' +
    'limits, the self-hosted note; Choose a plan → sign up → onboarding → billing with it selected; no axe ' +
    'violations',
  async run(ctx) {
    const { page, context, assertNoErrors } = await openPage(ctx)
    await page.goto('/')
    await page.locator('footer').getByRole('link', { name: 'Pricing' }).waitFor()
    await page.locator('main').getByRole('link', { name: 'See pricing' }).click()
    await page.waitForURL('**/pricing')
    await page.getByRole('heading', { name: 'Pricing', level: 1 }).waitFor()
    const { plans, billingEnabled } = await catalog(page)
    assert.ok(plans.length >= 2, 'the catalog has plans')
    const cards = page.getByTestId('plan-card')
    await cards.first().waitFor()
    assert.deepEqual(
      await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-plan'))),
      plans.map((p) => p.id),
    )
    for (const plan of plans) {
      const card = page.getByRole('article', { name: plan.name })
      await card.getByRole('heading', { name: plan.name, level: 2 }).waitFor()
      const price = await card.getByTestId('plan-price').textContent()
      assert.match(price ?? '', /€/, `${plan.id} price in euros: ${price}`)
      assert.equal(digits(price), String(plan.priceMonthlyCents / 100).replace('.', ''), `${plan.id} price: ${price}`)
      assert.equal(digits(await card.getByTestId('plan-credits').textContent()), String(plan.monthlyCredits))
      const unlimited = Object.values(plan.limits).filter((v) => v === null).length
      assert.equal(await card.getByText('Unlimited', { exact: true }).count(), unlimited, `${plan.id} unlimited limits`)
      const cta = card.getByRole('link', { name: plan.priceMonthlyCents === 0 ? 'Start free' : `Choose ${plan.name}` })
      assert.equal(await cta.getAttribute('href'), plan.priceMonthlyCents === 0 ? '/signup' : `/signup?plan=${plan.id}`)
    }
    if (!billingEnabled) await page.getByText('This Camarad is self-hosted').waitFor()
    await page.screenshot({ path: ctx.shot('50-pricing'), fullPage: true })
    await page.setViewportSize({ width: 390, height: 844 })
    await page.screenshot({ path: ctx.shot('51-pricing-mobile'), fullPage: true })

    // Choosing a paid plan signed out: sign up, set up the workspace, then the plan is waiting on the billing page.
    await page.setViewportSize({ width: 1280, height: 800 })
    const paid = plans.find((p) => p.priceMonthlyCents > 0)!
    await page.getByRole('link', { name: `Choose ${paid.name}` }).click()
    await page.waitForURL(`**/signup?plan=${paid.id}`)
    await page.getByLabel('Name', { exact: true }).fill('Paola Pricing')
    await page.getByLabel('Email', { exact: true }).fill(`pricing-${Date.now().toString(36)}@e2e.test`)
    await page.getByLabel('Password', { exact: true }).fill('a long e2e passphrase')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.waitForURL(`**/onboarding?plan=${paid.id}`)
    await page.getByLabel('Workspace name').fill('Pricing Agency')
    await page.getByLabel('First client name').fill('Gelateria Sole')
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL(`**/app/settings/billing?plan=${paid.id}`)
    await page.getByRole('article', { name: paid.name }).getByText('Selected', { exact: true }).waitFor()
    assertNoErrors()

    await context.clearCookies() // axe on the page as a visitor sees it
    const axe = await axeContext(ctx, context)
    await axe.page.goto('/pricing')
    await axe.page.getByTestId('plan-card').first().waitFor()
    const problems = await axeProblems(axe.page, 'pricing')
    await axe.context.close()
    await context.close()
    assert.deepEqual(problems, [])
  },
}

const billing: Scenario = {
  name:
    'plan & billing: the Free plan with usage against each limit, no checkout buttons without billing, Choose on ' +
    '/pricing lands here; the usage page links here; no axe violations',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Plans Agency', 'Caffè Milano')
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plan & billing' }).click()
    await page.waitForURL('**/app/settings/billing')
    await page.getByRole('heading', { name: 'Plan & billing', level: 1 }).waitFor()
    const res = await page.request.get(`/api/workspaces/${await workspaceOf(page)}/plan`)
    const wp = (await res.json()) as {
      plan: Plan
      usage: { key: string; used: number; limit: number | null }[]
      billingEnabled: boolean
    }
    assert.equal(await page.getByTestId('current-plan').textContent(), wp.plan.name)
    const clients = wp.usage.find((u) => u.key === 'clients')!
    assert.equal(clients.used, 1)
    const clientsText = page.locator('[data-testid="limit-usage"][data-key="clients"]').getByTestId('limit-usage-text')
    assert.match(
      (await clientsText.textContent()) ?? '',
      clients.limit === null ? /^1 clients · Unlimited/ : new RegExp(`^1 of ${clients.limit} clients`),
    )
    assert.equal(await page.getByTestId('limit-usage').count(), wp.usage.length)
    if (!wp.billingEnabled) {
      await page.getByText('Billing is not set up on this server: your operator assigns plans').waitFor()
      assert.equal(
        await page.getByRole('button', { name: /^(Upgrade|Switch) to/ }).count(),
        0,
        'no checkout buttons without billing',
      )
    }
    await page.screenshot({ path: ctx.shot('52-billing'), fullPage: true })

    // Signed in, a paid plan on /pricing leads here with that plan selected.
    await page.goto('/pricing')
    const paid = (await catalog(page)).plans.find((p) => p.priceMonthlyCents > 0)!
    await page.getByRole('link', { name: `Choose ${paid.name}` }).click()
    await page.waitForURL(`**/app/settings/billing?plan=${paid.id}`)
    await page.getByRole('article', { name: paid.name }).getByText('Selected', { exact: true }).waitFor()

    await page.goto('/app/settings/usage')
    await page.getByRole('link', { name: 'See plans and limits' }).click()
    await page.waitForURL('**/app/settings/billing')
    await page.getByTestId('current-plan').waitFor()
    assertNoErrors()

    const axe = await axeContext(ctx, context)
    await axe.page.goto('/app/settings/billing')
    await axe.page.getByTestId('plan-card').first().waitFor()
    await networkSettled(axe.page)
    const problems = await axeProblems(axe.page, 'billing')
    await axe.context.close()
    await context.close()
    assert.deepEqual(problems, [])
  },
}

const clientLimit: Scenario = {
  name:
    'plan limit: a client, a custom agent or an invitation past the Free plan’s limits is refused with the plan ' +
    'limit message and a See plans link to billing',
  async run(ctx) {
    const { page, context } = await onboard(ctx, 'Limited Agency', 'Trattoria Uno')
    const free = (await catalog(page)).plans.find((p) => p.id === 'free')!
    const max = free.limits.clients
    assert.ok(typeof max === 'number' && max >= 1, 'the Free plan limits clients')
    await page.goto('/app/clients')
    for (let i = 2; i <= max; i++) {
      await page.getByLabel('Client name').fill(`Allowed ${i}`)
      await page.getByRole('button', { name: 'Add client' }).click()
      await page
        .getByRole('link', { name: `Allowed ${i}` })
        .first()
        .waitFor()
    }
    await page.getByLabel('Client name').fill('One too many')
    await page.getByRole('button', { name: 'Add client' }).click()
    const error = page.getByTestId('plan-limit-error')
    await error.waitFor()
    await page.getByRole('alert').filter({ hasText: 'Plan limit reached' }).waitFor()
    await page.screenshot({ path: ctx.shot('53-client-limit') })
    await error.getByRole('link', { name: 'See plans' }).click()
    await page.waitForURL('**/app/settings/billing')
    await page.locator('[data-testid="limit-usage"][data-key="clients"]').getByText('limit reached').waitFor()

    // Custom agents: the same message on the agent form.
    const agents = free.limits.customAgents
    assert.ok(typeof agents === 'number', 'the Free plan limits custom agents')
    await page.goto('/app/settings/agents')
    for (let i = 1; i <= agents + 1; i++) {
      await page.getByRole('button', { name: 'New agent' }).click()
      await page.getByLabel('Agent name').fill(`Helper ${i}`)
      await page.getByLabel('Instructions').fill('You draft short replies to customer reviews.')
      await page.getByRole('button', { name: 'Create agent' }).click()
      if (i <= agents) await page.getByRole('list', { name: 'Your agents' }).getByText(`Helper ${i}`).waitFor()
    }
    await page.getByTestId('plan-limit-error').getByRole('link', { name: 'See plans' }).waitFor()
    await page.screenshot({ path: ctx.shot('54-agent-limit') })

    // Members: pending invitations count, so inviting past the limit is refused on the invitation form.
    const members = free.limits.members
    assert.ok(typeof members === 'number' && members >= 1, 'the Free plan limits members')
    await page.goto('/app/settings/members')
    for (let i = 2; i <= members + 1; i++) {
      await page.getByLabel('Invitee email').fill(`limit-${i}-${Date.now().toString(36)}@e2e.test`)
      await page.getByRole('button', { name: 'Send invitation' }).click()
      if (i <= members) {
        await page.getByTestId('invite-url').waitFor()
        await page.getByRole('button', { name: 'Done' }).click()
      }
    }
    await page.getByTestId('plan-limit-error').getByRole('link', { name: 'See plans' }).waitFor()
    await page.screenshot({ path: ctx.shot('55-invitation-limit') })
    await context.close()
  },
}

const operatorAssigns: Scenario = {
  name: 'self-hosted: the operator assigns Starter through the operator API; billing shows it as the current plan with its limits',
  async run(ctx) {
    const token = ctx.internalToken
    assert.ok(token, 'the priced server has an operator token')
    const { page, context, assertNoErrors } = await onboard(ctx, 'Upgraded Agency', 'Pasticceria Dolce')
    const starter = (await catalog(page)).plans.find((p) => p.id === 'starter')!
    const res = await fetch(`${ctx.baseUrl}/api/operator/workspaces/${await workspaceOf(page)}/plan`, {
      method: 'PUT',
      headers: { 'x-internal-token': token, 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'starter', reason: 'e2e: agreed by email' }),
    })
    assert.equal(res.status, 200, await res.text())
    await page.goto('/app/settings/billing')
    assert.equal(await page.getByTestId('current-plan').textContent(), starter.name)
    await page.getByRole('article', { name: starter.name }).getByText('Current plan', { exact: true }).waitFor()
    const clientsText = page.locator('[data-testid="limit-usage"][data-key="clients"]').getByTestId('limit-usage-text')
    assert.match((await clientsText.textContent()) ?? '', new RegExp(`^1 of ${starter.limits.clients} clients`))
    await page.screenshot({ path: ctx.shot('56-billing-starter'), fullPage: true })
    assertNoErrors()
    await context.close()
  },
}

/** On the server without an AI provider or Stripe (self-hosted mode). */
export const plansScenarios: Scenario[] = [pricing, billing, clientLimit]
/** On the priced server (INTERNAL_TOKEN: the operator API is on). */
export const plansOperatorScenarios: Scenario[] = [operatorAssigns]
