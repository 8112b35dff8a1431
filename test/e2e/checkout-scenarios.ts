import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { openPage, type Scenario } from './scenarios.ts'
import { axeContext, axeProblems } from './usage-scenarios.ts'

/** The Stripe settings of the server these scenarios run on: a loopback fake Stripe (test/fakes/stripe.ts) hosts Checkout and the portal. */
export const E2E_STRIPE = {
  secret: 'whsec_e2e_0123456789abcdef',
  prices: {
    STRIPE_PRICE_STARTER: 'price_e2e_starter',
    STRIPE_PRICE_PRO: 'price_e2e_pro',
    STRIPE_PRICE_AGENCY: 'price_e2e_agency',
    STRIPE_PRICE_TOPUP: 'price_e2e_credit',
  },
  cents: { price_e2e_starter: 2900, price_e2e_pro: 7900, price_e2e_agency: 19900 },
}

/** From the sign-up page with a plan chosen on /pricing, through onboarding, to the billing page with that plan. */
const signUpFor = async (page: Page, plan: string, names: { person: string; workspace: string; client: string }) => {
  await page.waitForURL(`**/signup?plan=${plan}`)
  await page.getByLabel('Name', { exact: true }).fill(names.person)
  await page.getByLabel('Email', { exact: true }).fill(`${plan}-${Date.now().toString(36)}@e2e.test`)
  await page.getByLabel('Password', { exact: true }).fill('a long e2e passphrase')
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.waitForURL(`**/onboarding?plan=${plan}`)
  await page.getByLabel('Workspace name').fill(names.workspace)
  await page.getByLabel('First client name').fill(names.client)
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.waitForURL(`**/app/settings/billing?plan=${plan}`)
}

const available = async (page: Page) => {
  await page.goto('/app/settings/usage')
  return Number(((await page.getByTestId('credits-available').textContent()) ?? '').replace(/[^\d.]/g, ''))
}

const checkout: Scenario = {
  name:
    'checkout: pricing → Choose Pro → sign up → Upgrade on billing → pay on (fake) Stripe Checkout → back on Pro ' +
    'with its 5,000 credits in the balance and the invoice listed; a top-up adds its credits; cancel in the portal ' +
    '→ Free; no axe violations',
  async run(ctx) {
    const { page, context, assertNoErrors } = await openPage(ctx)
    await page.goto('/pricing')
    await page.getByRole('article', { name: 'Pro' }).getByRole('link', { name: 'Choose Pro' }).click()
    await signUpFor(page, 'pro', { person: 'Carla Checkout', workspace: 'Checkout Agency', client: 'Forno Rosso' })
    assert.equal(await page.getByTestId('current-plan').textContent(), 'Free')
    const welcome = await available(page)
    await page.goBack()

    // Upgrade: off to Stripe's page, pay, and back; the page waits for the webhook, not for the redirect.
    await page.getByRole('article', { name: 'Pro' }).getByRole('button', { name: 'Upgrade to Pro' }).click()
    await page.getByRole('heading', { name: 'Fake Stripe Checkout' }).waitFor()
    await page.getByRole('button', { name: 'Pay' }).click()
    await page.waitForURL(/\/app\/settings\/billing\?checkout=success&session_id=cs_/)
    await page.getByText('You are on Pro now').waitFor()
    assert.equal(await page.getByTestId('current-plan').textContent(), 'Pro')
    await page.getByText(/^Renews on /).waitFor()
    const invoice = page.getByTestId('invoice-row')
    await invoice.first().waitFor()
    assert.equal(await invoice.count(), 1)
    assert.match((await invoice.first().textContent()) ?? '', /79\.00.*Paid/)
    await page.screenshot({ path: ctx.shot('60-checkout-upgraded'), fullPage: true })
    assert.equal(await available(page), welcome + 5000, "the plan's monthly credits are in the balance")

    // A subscribed workspace changes plans in the portal: no second Checkout.
    await page.goto('/app/settings/billing')
    await page.getByText('Plan changes and cancellation happen in Stripe’s customer portal').waitFor()
    await page.getByRole('article', { name: 'Starter' }).getByRole('button', { name: 'Switch to Starter' }).waitFor()

    // Top-up: 1,000 credits through Checkout in payment mode.
    await page.getByRole('radio', { name: '1,000 credits' }).check()
    await page.getByRole('button', { name: 'Buy 1,000 credits' }).click()
    await page.getByRole('heading', { name: 'Fake Stripe Checkout' }).waitFor()
    await page.getByRole('button', { name: 'Pay' }).click()
    await page.waitForURL(/\/app\/settings\/billing\?topup=success&session_id=cs_/)
    await page.getByText('Credits added').waitFor()
    assert.equal(await available(page), welcome + 6000)

    // Cancel in the portal: back to Free once Stripe's event is applied; the credits already granted stay.
    await page.goto('/app/settings/billing')
    await page.getByRole('button', { name: 'Manage payment and invoices in Stripe' }).click()
    await page.getByRole('heading', { name: 'Fake Stripe customer portal' }).waitFor()
    await page.getByRole('button', { name: 'Cancel subscription' }).click()
    await page.waitForURL(/\/app\/settings\/billing\?portal=return$/)
    await page
      .getByTestId('current-plan')
      .filter({ hasText: /^Free$/ })
      .waitFor()
    await page.getByText('The subscription was cancelled.').waitFor()
    assert.equal(await available(page), welcome + 6000)
    assertNoErrors()

    const axe = await axeContext(ctx, context)
    await axe.page.goto('/app/settings/billing')
    await axe.page.getByTestId('invoice-row').first().waitFor()
    const problems = await axeProblems(axe.page, 'billing with Stripe')
    await axe.context.close()
    await context.close()
    assert.deepEqual(problems, [])
  },
}

const cancelled: Scenario = {
  name: 'checkout: leaving Stripe Checkout without paying comes back to "Checkout cancelled", nothing charged, still Free',
  async run(ctx) {
    const { page, context, assertNoErrors } = await openPage(ctx)
    await page.goto('/signup?plan=starter')
    await signUpFor(page, 'starter', { person: 'Carlo Cancel', workspace: 'Cautious Agency', client: 'Bar Centrale' })
    await page.getByRole('article', { name: 'Starter' }).getByRole('button', { name: 'Upgrade to Starter' }).click()
    await page.getByRole('link', { name: 'Cancel and go back' }).click()
    await page.waitForURL('**/app/settings/billing?checkout=cancelled')
    await page.getByText('Nothing was charged and the plan is unchanged.').waitFor()
    assert.equal(await page.getByTestId('current-plan').textContent(), 'Free')
    assert.equal(await page.getByTestId('invoice-row').count(), 0)
    assertNoErrors()
    await context.close()
  },
}

const operatorStripe: Scenario = {
  name: 'operator: the Stripe tab lists the events received (processed), filters the dead ones, runs drift repair with its counts; no axe violations',
  async run(ctx) {
    const { page, context, assertNoErrors } = await openPage(ctx)
    await page.goto('/operator?tab=stripe')
    await page.getByLabel('Token').fill(ctx.internalToken!)
    await page.getByRole('button', { name: 'Unlock' }).click()
    await page.getByRole('tab', { name: 'Stripe', selected: true }).waitFor()
    const rows = page.getByTestId('stripe-event-row')
    await rows.first().waitFor()
    for (const type of [
      'checkout.session.completed',
      'customer.subscription.created',
      'invoice.paid',
      'customer.subscription.deleted',
    ]) {
      assert.ok(
        (await rows.filter({ hasText: type }).filter({ hasText: 'Processed' }).count()) >= 1,
        `a processed ${type}`,
      )
    }
    await page.getByLabel('Status').selectOption('dead')
    await page.getByText('No dead events').waitFor()
    await page.getByRole('button', { name: 'Repair now' }).click()
    await page.getByText(/^0 missed events recovered, 0 of \d+ subscriptions repaired\.$/).waitFor()
    await page.screenshot({ path: ctx.shot('62-operator-stripe'), fullPage: true })
    assertNoErrors()

    const axe = await axeContext(ctx, context)
    await axe.page.goto('/operator?tab=stripe')
    await axe.page.getByLabel('Token').fill(ctx.internalToken!) // kept in the tab's sessionStorage only
    await axe.page.getByRole('button', { name: 'Unlock' }).click()
    await axe.page.getByTestId('stripe-event-row').first().waitFor()
    const problems = await axeProblems(axe.page, 'operator stripe')
    await axe.context.close()
    await context.close()
    assert.deepEqual(problems, [])
  },
}

export const checkoutScenarios = [checkout, cancelled, operatorStripe]
