import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { confirmEmail, newEmail, onboard, openPage, signUp, type Scenario } from './scenarios.ts'
import { axeContext, axeProblems } from './usage-scenarios.ts'

/**
 * Email flows on the server whose SMTP_URL points at a loopback SMTP server (run.ts): the verification link and the
 * password reset link are read from the emails that server received, as a person would from their inbox.
 */
const available = async (page: Page) => {
  await page.goto('/app/settings/usage')
  return Number(((await page.getByTestId('credits-available').textContent()) ?? '').replace(/[^\d.]/g, ''))
}

const verification: Scenario = {
  name: 'sign up → "check your inbox" with no credits yet → the verification email (over SMTP) → open the link → verified → welcome credits shown',
  async run(ctx) {
    const { page, context, assertNoErrors } = await openPage(ctx)
    const address = newEmail('verify')
    await page.goto('/signup')
    await signUp(page, { name: 'Vera Verify', email: address, password: 'a long e2e passphrase' })
    await page.waitForURL('**/onboarding')
    await page.getByLabel('Workspace name').fill('Verify Agency')
    await page.getByLabel('First client name').fill('Enoteca Viola')
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL(/\/app\/?$/)
    await page.getByText('Check your inbox').waitFor()
    await page.screenshot({ path: ctx.shot('61-check-your-inbox') })
    assert.equal(await available(page), 0, 'no free credits before the email is verified')

    await confirmEmail(ctx, page, address)
    await page.screenshot({ path: ctx.shot('62-email-verified') })

    assert.equal(await available(page), 50, 'the welcome credits arrive with the verification')
    assert.equal(await page.getByText('Check your inbox').count(), 0)
    assertNoErrors()
    await context.close()
  },
}

const passwordReset: Scenario = {
  name: 'forgot password (linked from login) → the reset email (over SMTP) → a new password → signed in; the old session is gone',
  async run(ctx) {
    const first = await onboard(ctx, 'Reset Agency', 'Forno Reset')
    const address = (await first.page.evaluate(
      async () => (await (await fetch('/api/auth/status')).json()).user.email,
    )) as string

    const { page, context, assertNoErrors } = await openPage(ctx)
    await page.goto('/login')
    await page.getByRole('link', { name: 'Forgot your password?' }).click()
    await page.waitForURL('**/forgot-password')
    await page.getByLabel('Email', { exact: true }).fill(address)
    await page.getByRole('button', { name: 'Email me a reset link' }).click()
    await page.getByText('Check your inbox').waitFor()
    await page.screenshot({ path: ctx.shot('63-forgot-password') })

    await page.goto(await ctx.emailLink(address, '/reset-password'))
    await page.getByLabel('New password').fill('a brand new e2e passphrase')
    await page.screenshot({ path: ctx.shot('64-reset-password') })
    await page.getByRole('button', { name: 'Save and sign in' }).click()
    await page.waitForURL(/\/app\/?$/)
    assertNoErrors()

    // The browser that was signed in before the reset is signed out: its session ended on the server.
    await first.page.goto('/app/settings/profile')
    await first.page.waitForURL('**/login**')
    await first.context.close()
    await context.close()
  },
}

const operatorEmails: Scenario = {
  name: 'operator: the Emails tab lists the stored emails (no SMTP_URL here) newest first with their links, filtered by recipient; no axe violations',
  async run(ctx) {
    const token = ctx.internalToken
    assert.ok(token, 'the priced server has an operator token')
    const visitor = await openPage(ctx)
    const address = newEmail('outboxed')
    await visitor.page.goto('/signup')
    await signUp(visitor.page, { name: 'Otto Outbox', email: address, password: 'a long e2e passphrase' })
    await visitor.page.waitForURL('**/onboarding')
    await visitor.context.close()

    const { page, context, assertNoErrors } = await openPage(ctx)
    const unlock = async (p: Page) => {
      await p.goto('/operator?tab=emails')
      await p.getByLabel('Token').fill(token)
      await p.getByRole('button', { name: 'Unlock' }).click()
      await p.getByTestId('email-row').first().waitFor()
    }
    await unlock(page)
    await page.getByLabel('Recipient').fill(address)
    await page.getByTestId('email-row').filter({ hasText: address }).waitFor()
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="email-row"]').length === 1)
    const link = (await page.getByTestId('email-link').first().textContent()) ?? ''
    assert.match(link, new RegExp(`^${ctx.baseUrl}/verify-email\\?token=[\\w-]+$`))
    await page.screenshot({ path: ctx.shot('65-operator-emails'), fullPage: true })
    assertNoErrors()

    const axe = await axeContext(ctx, context)
    await unlock(axe.page)
    assert.deepEqual(await axeProblems(axe.page, 'operator emails'), [])
    await axe.context.close()
    await context.close()
  },
}

export const emailScenarios: Scenario[] = [verification, passwordReset]
/** On the priced server (operator token, no SMTP_URL). */
export const outboxScenarios: Scenario[] = [operatorEmails]
