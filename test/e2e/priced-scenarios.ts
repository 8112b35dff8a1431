import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { onboard, openPage, type Scenario } from './scenarios.ts'

/**
 * Scenarios on the server that calls a (loopback, fake) OpenAI priced like gpt-4o-mini: credits are estimated,
 * held and charged for real. The workspace starts with 5 welcome credits (CREDITS_WELCOME=5 in run.ts).
 */
const creditsJourney: Scenario = {
  name: 'credits: the estimate before sending, the charge after, a 402 with the way to more credits, a dispute filed for the operator',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Priced Agency', 'Pasticceria Dolce')
    await page.goto('/app')
    await page.getByRole('button', { name: 'Chat with PPC Specialist' }).click()
    await page.waitForURL('**/app/chat/**')
    const balance = page.getByTestId('chat-balance')
    await balance.waitFor()
    assert.match((await balance.textContent()) ?? '', /5\.00 credits available/)

    await page.getByLabel('Message', { exact: true }).fill('How should we promote the new pastry line?')
    const estimate = page.getByTestId('draft-estimate')
    await estimate.filter({ hasText: /≈ [\d.]+ credits max/ }).waitFor()
    await page.screenshot({ path: ctx.shot('30-credits-estimate') })
    await page.getByRole('button', { name: 'Send', exact: true }).click()
    await page.locator('[data-testid="assistant-message"][data-status="complete"]').first().waitFor({ timeout: 30_000 })
    const charge = page.getByTestId('message-charge').first()
    await charge.filter({ hasText: /Charged [\d.]+ credits/ }).waitFor()
    // 600 input and 24 output tokens at $0.15 / $0.60 per million, ×2, 1 credit = $0.01: 0.02088 credits.
    assert.match((await charge.textContent()) ?? '', /Charged 0\.02\d* credits/)
    await balance.filter({ hasText: /4\.98 credits available/ }).waitFor()
    await page.screenshot({ path: ctx.shot('31-credits-charged') })

    // The operator takes the balance down to almost nothing: the next message is refused before it is sent.
    const status = (await (await page.request.get('/api/auth/status')).json()) as { workspaces: { id: string }[] }
    const workspaceId = status.workspaces[0]!.id
    const bal = (await (
      await page.request.get('/api/credits/balance', { headers: { 'x-workspace-id': workspaceId } })
    ).json()) as { available: number }
    // The operator API is called by a script, not by the browser: no session cookie, the operator token.
    const take = await fetch(`${ctx.baseUrl}/api/operator/workspaces/${workspaceId}/credits`, {
      method: 'POST',
      headers: { 'x-internal-token': ctx.internalToken!, 'content-type': 'application/json' },
      body: JSON.stringify({ credits: -(bal.available - 10_000) / 1_000_000, reason: 'e2e: spend it all' }),
    })
    assert.equal(take.status, 201, await take.text())
    await page.reload()
    await page.getByLabel('Message', { exact: true }).fill('And a second campaign for Easter?')
    await page
      .getByTestId('draft-estimate')
      .filter({ hasText: /≈ [\d.]+ credits max/ })
      .waitFor()
    await page.getByRole('button', { name: 'Send', exact: true }).click()
    const refused = page.locator('[data-testid="send-error"][data-code="credits.insufficient"]')
    await refused.waitFor()
    assert.match((await refused.textContent()) ?? '', /Not enough credits/)
    await page.screenshot({ path: ctx.shot('32-credits-402') })
    await refused.getByRole('link', { name: 'Get more credits' }).click()
    await page.waitForURL('**/app/settings/usage')

    // The charge is in the ledger: dispute it, approve it, and the refund appears.
    await page
      .getByTestId('chart-day')
      .or(page.getByRole('tab', { name: 'Spend' }))
      .first()
      .waitFor()
    await page.screenshot({ path: ctx.shot('33-credits-usage'), fullPage: true })
    await page.getByRole('tab', { name: 'Ledger' }).click()
    const debit = page.locator('[data-testid="ledger-row"][data-kind="debit"]').first()
    await debit.waitFor()
    await debit.getByRole('button', { name: /Dispute the charge/ }).click()
    await page.getByLabel('What went wrong?').fill('The answer repeated our brief back to us.')
    await page.getByRole('button', { name: 'Send dispute' }).click()
    await page.getByRole('tab', { name: 'Disputes' }).click()
    const dispute = page.locator('[data-testid="dispute"][data-status="open"]').first()
    await dispute.waitFor()
    await page.screenshot({ path: ctx.shot('34-credits-dispute-open'), fullPage: true })
    // The owner cannot refund themselves: the operator decides (see the next scenario).
    await dispute.getByText('Open · waiting for the operator').waitFor()
    assert.equal(
      await dispute.getByRole('button', { name: /Approve/ }).count(),
      0,
      'no approve control in the workspace',
    )
    assertNoErrors()
    await context.close()
  },
}

const PASSWORD = 'a long e2e passphrase'
const signUp = async (page: Page, who: { name: string; email: string }) => {
  await page.getByLabel('Name', { exact: true }).fill(who.name)
  await page.getByLabel('Email', { exact: true }).fill(who.email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
}

/** A member disputes a charge; the owner cannot approve it; the operator approves it on /operator; the refund shows. */
const disputeDecidedByOperator: Scenario = {
  name: 'disputes: a member files one, the owner cannot approve it, the operator approves it on the operator page, the refund is in the ledger',
  async run(ctx) {
    const token = ctx.internalToken
    assert.ok(token, 'the priced server has an operator token')
    const owner = await onboard(ctx, 'Dispute Agency', 'Forno Rossi')
    const origin = { origin: ctx.baseUrl }
    const status = (await (await owner.page.request.get('/api/auth/status')).json()) as { workspaces: { id: string }[] }
    const workspaceId = status.workspaces[0]!.id
    // Credits from the operator, not from a welcome grant.
    const grant = await fetch(`${ctx.baseUrl}/api/operator/workspaces/${workspaceId}/credits`, {
      method: 'POST',
      headers: { 'x-internal-token': token, 'content-type': 'application/json' },
      body: JSON.stringify({ credits: 3, reason: 'e2e: credits for the dispute scenario' }),
    })
    assert.equal(grant.status, 201, await grant.text())
    const memberEmail = `disputer-${Date.now().toString(36)}@e2e.test`
    const invite = await owner.page.request.post(`/api/workspaces/${workspaceId}/invitations`, {
      headers: origin,
      data: { email: memberEmail, role: 'member' },
    })
    assert.equal(invite.status(), 201, await invite.text())
    const { acceptUrl } = (await invite.json()) as { acceptUrl: string }

    // The member joins, asks a question (a charge), and disputes it.
    const member = await openPage(ctx)
    const m = member.page
    await m.goto(new URL(acceptUrl).pathname)
    await m.getByRole('link', { name: 'Create an account' }).click()
    await m.waitForURL('**/signup**')
    await signUp(m, { name: 'Dora Disputer', email: memberEmail })
    await m.waitForURL('**/invite/**')
    await m.getByRole('button', { name: 'Accept invitation' }).click()
    await m.waitForURL(/\/app/)
    await m.goto('/app')
    await m.getByRole('button', { name: 'Chat with PPC Specialist' }).click()
    await m.waitForURL('**/app/chat/**')
    await m.getByLabel('Message', { exact: true }).fill('Which bakery keywords should we bid on?')
    await m.getByRole('button', { name: 'Send', exact: true }).click()
    await m.locator('[data-testid="assistant-message"][data-status="complete"]').first().waitFor({ timeout: 30_000 })
    await m.goto('/app/settings/usage?tab=ledger')
    const debit = m.locator('[data-testid="ledger-row"][data-kind="debit"]').first()
    await debit.waitFor()
    await debit.getByRole('button', { name: /Dispute the charge/ }).click()
    await m.getByLabel('What went wrong?').fill('The answer ignored our gluten-free line.')
    await m.getByRole('button', { name: 'Send dispute' }).click()
    await m.getByRole('tab', { name: 'Disputes' }).click()
    await m.locator('[data-testid="dispute"][data-status="open"]').first().waitFor()

    // The owner sees it, can add a note or withdraw it, but has no way to approve it: not on the page, not by the API.
    await owner.page.goto('/app/settings/usage?tab=disputes')
    const seen = owner.page.locator('[data-testid="dispute"][data-status="open"]').first()
    await seen.waitFor()
    assert.equal(await seen.getByRole('button', { name: /Approve/ }).count(), 0, 'no approve control for the owner')
    await seen.getByRole('button', { name: /Withdraw the dispute/ }).waitFor()
    await seen.getByRole('button', { name: /Add a note/ }).click()
    await owner.page.getByLabel('Note', { exact: true }).fill('Our client confirmed the answer missed the brief.')
    await owner.page.getByRole('button', { name: 'Add note' }).click()
    await seen.getByText('Our client confirmed the answer missed the brief.').waitFor()
    const listed = (await (
      await owner.page.request.get('/api/credits/disputes', { headers: { 'x-workspace-id': workspaceId } })
    ).json()) as { items: { id: string }[] }
    const disputeId = listed.items[0]!.id
    for (const decision of ['approve', 'reject']) {
      const res = await owner.page.request.post(`/api/credits/disputes/${disputeId}/${decision}`, {
        headers: origin,
        data: { note: 'Approving my own dispute' },
      })
      assert.equal(res.status(), 404, `the workspace route to ${decision} is gone`)
    }
    await owner.page.screenshot({ path: ctx.shot('36-dispute-owner-cannot-approve'), fullPage: true })
    owner.assertNoErrors()

    // The operator decides on /operator, with the keyboard.
    const operator = await openPage(ctx)
    const o = operator.page
    await o.goto('/operator')
    await o.getByLabel('Token').fill(token)
    await o.getByRole('button', { name: 'Unlock' }).click()
    await o.getByRole('tab', { name: 'Disputes' }).click()
    const queued = o.locator(`[data-testid="operator-dispute"][data-dispute-id="${disputeId}"]`)
    await queued.waitFor()
    await queued.getByText('The answer ignored our gluten-free line.').waitFor()
    await queued.getByText('Our client confirmed the answer missed the brief.').waitFor()
    await o.screenshot({ path: ctx.shot('37-operator-disputes'), fullPage: true })
    await queued.getByRole('button', { name: /^Approve the dispute/ }).focus()
    await o.keyboard.press('Enter')
    await o.getByLabel('Decision note', { exact: true }).fill('Refunded: the answer missed the brief.')
    await o.keyboard.press('Tab')
    await o.keyboard.press('Tab')
    await o.keyboard.press('Enter')
    await o.getByText(/Approved: [\d.]+ credits refunded/).waitFor()
    await o
      .locator(`[data-testid="operator-dispute"][data-dispute-id="${disputeId}"][data-status="approved"]`)
      .waitFor()
    operator.assertNoErrors()
    await operator.context.close()

    // The refund is in the member's ledger and the owner's.
    for (const p of [m, owner.page]) {
      await p.goto('/app/settings/usage?tab=ledger')
      await p.locator('[data-testid="ledger-row"][data-kind="refund"]').first().waitFor()
    }
    await m.screenshot({ path: ctx.shot('38-dispute-refunded'), fullPage: true })
    member.assertNoErrors()
    owner.assertNoErrors()
    await member.context.close()
    await owner.context.close()
  },
}

export const pricedScenarios: Scenario[] = [creditsJourney, disputeDecidedByOperator]
