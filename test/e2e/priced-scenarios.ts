import assert from 'node:assert/strict'
import { onboard, type Scenario } from './scenarios.ts'

/**
 * Scenarios on the server that calls a (loopback, fake) OpenAI priced like gpt-4o-mini: credits are estimated,
 * held and charged for real. The workspace starts with 5 welcome credits (CREDITS_WELCOME=5 in run.ts).
 */
const creditsJourney: Scenario = {
  name: 'credits: the estimate before sending, the charge after, a 402 with the way to more credits, a dispute approved into a refund',
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
    await page.getByRole('button', { name: 'Send' }).click()
    await page.locator('[data-testid="assistant-message"][data-status="complete"]').first().waitFor({ timeout: 30_000 })
    const charge = page.getByTestId('message-charge').first()
    await charge.filter({ hasText: /Charged [\d.]+ credits/ }).waitFor()
    // 600 input and 24 output tokens at $0.15 / $0.60 per million, ×2, 1 credit = $0.01: 0.02088 credits.
    assert.match((await charge.textContent()) ?? '', /Charged 0\.02\d* credits/)
    await balance.filter({ hasText: /4\.98 credits available/ }).waitFor()
    await page.screenshot({ path: ctx.shot('31-credits-charged') })

    // The operator takes the balance down to almost nothing: the next message is refused before it is sent.
    const status = await (await page.request.get('/api/auth/status')).json() as { workspaces: { id: string }[] }
    const workspaceId = status.workspaces[0]!.id
    const bal = await (await page.request.get('/api/credits/balance', { headers: { 'x-workspace-id': workspaceId } })).json() as { available: number }
    // The operator API is called by a script, not by the browser: no session cookie, the operator token.
    const take = await fetch(`${ctx.baseUrl}/api/operator/workspaces/${workspaceId}/credits`, {
      method: 'POST', headers: { 'x-internal-token': ctx.internalToken!, 'content-type': 'application/json' },
      body: JSON.stringify({ credits: -(bal.available - 10_000) / 1_000_000, reason: 'e2e: spend it all' }),
    })
    assert.equal(take.status, 201, await take.text())
    await page.reload()
    await page.getByLabel('Message', { exact: true }).fill('And a second campaign for Easter?')
    await page.getByTestId('draft-estimate').filter({ hasText: /≈ [\d.]+ credits max/ }).waitFor()
    await page.getByRole('button', { name: 'Send' }).click()
    const refused = page.locator('[data-testid="send-error"][data-code="credits.insufficient"]')
    await refused.waitFor()
    assert.match((await refused.textContent()) ?? '', /Not enough credits/)
    await page.screenshot({ path: ctx.shot('32-credits-402') })
    await refused.getByRole('link', { name: 'Get more credits' }).click()
    await page.waitForURL('**/app/settings/usage')

    // The charge is in the ledger: dispute it, approve it, and the refund appears.
    await page.getByTestId('chart-day').or(page.getByRole('tab', { name: 'Spend' })).first().waitFor()
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
    await dispute.getByRole('button', { name: /Approve the dispute/ }).click()
    await page.getByLabel('Note').fill('Refunded as a goodwill gesture.')
    await page.getByRole('button', { name: 'Approve and refund' }).click()
    await page.locator('[data-testid="dispute"][data-status="approved"]').first().waitFor()
    await page.getByRole('tab', { name: 'Ledger' }).click()
    await page.locator('[data-testid="ledger-row"][data-kind="refund"]').first().waitFor()
    await page.screenshot({ path: ctx.shot('35-credits-refunded'), fullPage: true })
    assertNoErrors()
    await context.close()
  },
}

export const pricedScenarios: Scenario[] = [creditsJourney]
