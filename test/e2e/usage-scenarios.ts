import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { BrowserContext, Page } from 'playwright-core'
import { networkSettled, onboard, trackNetwork, type Scenario, type ScenarioContext } from './scenarios.ts'

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
type AxeResult = { violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }

/** Serious and critical axe-core violations on what the page shows now (run in a context that bypasses CSP). */
export const axeProblems = async (page: Page, label: string) => {
  await page.addScriptTag({ path: AXE_PATH })
  const result = (await page.evaluate(async () =>
    (globalThis as unknown as { axe: { run(): Promise<AxeResult> } }).axe.run(),
  )) as AxeResult
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${label}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes
          .map((n) => JSON.stringify(n.target))
          .slice(0, 3)
          .join(', ')}`,
    )
}

/** A second context with the same session where axe-core can be injected (CSP bypassed for that only). */
export const axeContext = async (ctx: ScenarioContext, signedIn: BrowserContext) => {
  const context = trackNetwork(
    await ctx.browser.newContext({
      baseURL: ctx.baseUrl,
      bypassCSP: true,
      viewport: { width: 1280, height: 800 },
    }),
  )
  await context.addCookies(await signedIn.cookies())
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  return { context, page }
}

const workspaceOf = async (page: Page) =>
  ((await (await page.request.get('/api/auth/status')).json()) as { workspaces: { id: string }[] }).workspaces[0]!.id

const usagePage: Scenario = {
  name: 'usage page: balance, spend, ledger with filters and CSV export, holds, statements, limits and caps (admin), keyboard tabs, no axe violations',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Usage Agency', 'Forno Antico')
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage & credits' }).click()
    await page.waitForURL('**/app/settings/usage')
    await page.getByRole('heading', { name: 'Usage & credits', level: 1 }).waitFor()
    const available = (await page.getByTestId('credits-available').textContent()) ?? ''
    assert.match(available, /^\d[\d,]*\.\d{2}$/, `available credits: ${available}`)
    assert.equal(await page.getByTestId('credits-balance').textContent(), available, 'a new workspace has nothing held')
    assert.equal(await page.getByTestId('credits-held').textContent(), '0.00')

    // Spend first (nothing yet on the offline model), then the ledger with the welcome grant; no disputes.
    await page.getByText('Nothing charged yet').waitFor()
    await page.screenshot({ path: ctx.shot('20-usage'), fullPage: true })
    await page.getByRole('tab', { name: 'Disputes' }).click()
    await page.getByText('No disputes', { exact: true }).waitFor()
    await page.getByRole('tab', { name: 'Ledger' }).click()
    const grant = page.locator('[data-testid="ledger-row"][data-kind="grant"]')
    await grant.first().waitFor()
    assert.equal(await grant.getByRole('button', { name: /Dispute/ }).count(), 0, 'only charges can be disputed')

    // Filters narrow the ledger; the CSV export follows them.
    await page.getByLabel('Kind', { exact: true }).selectOption('debit')
    await page.getByText('No entries match').waitFor()
    await page.getByRole('button', { name: 'Clear filters' }).click()
    await grant.first().waitFor()
    await page.getByLabel('Kind', { exact: true }).selectOption('grant')
    await grant.first().waitFor()
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ])
    assert.match(download.suggestedFilename(), /^camarad-ledger-.+\.csv$/)
    const csv = await readFile(await download.path(), 'utf8')
    const [header, ...rows] = csv.trim().split('\n')
    assert.match(header ?? '', /^id,createdAt,kind,amount,credits,/)
    assert.ok(rows.length >= 1 && rows.every((r) => r.split(',')[2] === 'grant'), `CSV rows: ${rows.join(' | ')}`)

    // Tabs work from the keyboard: the arrow keys move and select, the panel follows.
    await page.getByRole('tab', { name: 'Ledger' }).focus()
    await page.keyboard.press('ArrowRight')
    await page.getByRole('tab', { name: 'Holds', selected: true }).waitFor() // the router re-renders after the key, not at once
    await page.getByText('No holds yet').waitFor()
    await page.keyboard.press('End')
    await page.getByRole('button', { name: 'Save limits' }).waitFor()
    await page.keyboard.press('ArrowLeft')
    await page.getByText('No statements yet').waitFor()
    assert.match(page.url(), /tab=statements/)

    // An owner sets a daily cap for the workspace, sees it listed, and removes it.
    await page.getByRole('tab', { name: 'Limits' }).click()
    await page.getByRole('button', { name: 'Save limits' }).waitFor()
    await page.getByLabel('Daily cap (credits)').fill('abc')
    await page.getByRole('button', { name: 'Save cap' }).click()
    await page.getByText('A positive number of credits, or empty for none.').waitFor()
    await page.getByLabel('Daily cap (credits)').fill('12.5')
    await page.getByRole('button', { name: 'Save cap' }).click()
    const capRow = page.getByRole('row').filter({ hasText: 'The whole workspace' })
    await capRow.getByText('12.50 credits').waitFor()
    await page.getByLabel('Requests per minute, per member').fill('30')
    await page.getByRole('button', { name: 'Save limits' }).click()
    await page.getByText('Limits saved').waitFor()
    await page.screenshot({ path: ctx.shot('21-usage-limits'), fullPage: true })
    await capRow.getByRole('button', { name: /Remove the cap/ }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Remove cap' }).click()
    await page.getByText('No caps: only the balance limits spending.').waitFor()
    assertNoErrors()

    const axe = await axeContext(ctx, context)
    const problems: string[] = []
    for (const tab of ['', 'ledger', 'holds', 'disputes', 'statements', 'limits']) {
      await axe.page.goto(`/app/settings/usage${tab ? `?tab=${tab}` : ''}`)
      await axe.page.getByTestId('credits-available').waitFor()
      await networkSettled(axe.page)
      problems.push(...(await axeProblems(axe.page, `usage ${tab || 'spend'}`)))
    }
    await axe.context.close()
    await context.close()
    assert.deepEqual(problems, [])
  },
}

const offlineChatCost: Scenario = {
  name: 'chat on the offline model: the draft is estimated as free, the answer says so, the header shows the credits available',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Offline Agency', 'Osteria Blu')
    await page.goto('/app')
    await page.getByRole('button', { name: 'Chat with Copywriter' }).click()
    await page.waitForURL('**/app/chat/**')
    await page
      .getByTestId('chat-balance')
      .filter({ hasText: /[\d.]+ credits available/ })
      .waitFor()
    await page.getByLabel('Message', { exact: true }).fill('Three taglines for a seaside osteria')
    await page.getByTestId('draft-estimate').filter({ hasText: 'Free — offline model' }).waitFor()
    await page.getByRole('button', { name: 'Send', exact: true }).click()
    await page.locator('[data-testid="assistant-message"][data-status="complete"]').first().waitFor({ timeout: 30_000 })
    await page.getByTestId('message-charge').filter({ hasText: 'Free — offline model' }).first().waitFor()
    await page.screenshot({ path: ctx.shot('22-chat-offline-free') })
    await page.getByTestId('chat-balance').click()
    await page.waitForURL('**/app/settings/usage')
    assertNoErrors()
    await context.close()
  },
}

const operatorOff: Scenario = {
  name: 'operator page without INTERNAL_TOKEN says the operator API is off; it is not in the member sidebar',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Sidebar Agency', 'Bar Centrale')
    assert.equal(
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: /operator/i })
        .count(),
      0,
    )
    const res = await page.goto('/operator')
    assert.equal(res?.status(), 200)
    await page.getByLabel('Token').waitFor()
    // Checked before the expected 503, which the browser logs as a console error.
    assertNoErrors()
    await page.getByLabel('Token').fill('some-operator-token-of-enough-length')
    await page.getByRole('button', { name: 'Unlock' }).click()
    await page.getByText(/operator API is off/).waitFor()
    await page.screenshot({ path: ctx.shot('23-operator-off') })
    await context.close()
  },
}

/** On the priced server (INTERNAL_TOKEN set): the operator pages, and a ledger long enough to page. */
const operatorPages: Scenario = {
  name: 'operator: unlock with the token, set a price, open a shadow rate, telemetry, calibration, import costs and reconcile; the ledger pages with Load more',
  async run(ctx) {
    const token = ctx.internalToken
    assert.ok(token, 'the priced server has an operator token')
    const owner = await onboard(ctx, 'Operated Agency', 'Panificio Sole')
    const workspaceId = await workspaceOf(owner.page)
    // 55 small grants by the operator: the ledger then holds more than one page.
    for (let i = 0; i < 55; i++) {
      const res: Response = await fetch(`${ctx.baseUrl}/api/operator/workspaces/${workspaceId}/credits`, {
        method: 'POST',
        headers: { 'x-internal-token': token, 'content-type': 'application/json' },
        body: JSON.stringify({ credits: 0.01, reason: `e2e top-up ${i + 1}` }),
      })
      assert.equal(res.status, 201)
    }
    await owner.page.goto('/app/settings/usage?tab=ledger')
    const rows = owner.page.getByTestId('ledger-row')
    await rows.nth(49).waitFor()
    assert.equal(await rows.count(), 50)
    await owner.page.getByRole('button', { name: 'Load more' }).click()
    await rows.nth(55).waitFor()
    assert.equal(await owner.page.getByRole('button', { name: 'Load more' }).count(), 0)
    owner.assertNoErrors()
    await owner.context.close()

    const { page, context, assertNoErrors } = await onboard(ctx, 'Operator Desk', 'Operator Client')
    await page.goto('/operator')
    await page.getByLabel('Token').fill('not-the-operator-token-at-all')
    await page.getByRole('button', { name: 'Unlock' }).click()
    await page.getByText('This token was refused').waitFor()
    await page.getByLabel('Token').fill(token)
    await page.getByRole('button', { name: 'Unlock' }).click()
    await page.getByTestId('price-row').first().waitFor()
    await page.getByRole('button', { name: 'Change the price of openai:gpt-4o-mini' }).click()
    await page.getByLabel('Output, $ per million').fill('0.65')
    await page.getByRole('button', { name: 'Set price' }).click()
    await page.getByText('New price for openai:gpt-4o-mini').waitFor()
    await page.getByRole('row').filter({ hasText: 'openai:gpt-4o-mini' }).getByText('$0.65').waitFor()
    await page.screenshot({ path: ctx.shot('40-operator-prices'), fullPage: true })

    await page.getByRole('tab', { name: 'Credit rates' }).click()
    await page.getByLabel('Note').fill('e2e shadow trial')
    await page.getByRole('button', { name: 'Open a new shadow version' }).click()
    await page.getByRole('row').filter({ hasText: 'e2e shadow trial' }).waitFor()

    await page.getByRole('tab', { name: 'Cost telemetry' }).click()
    await page.getByRole('heading', { name: 'Last 24 hours' }).waitFor()
    await page.getByRole('button', { name: 'Run shadow sync' }).click()
    await page.getByText('Shadow sync done').waitFor()
    await page.screenshot({ path: ctx.shot('41-operator-telemetry'), fullPage: true })

    await page.getByRole('tab', { name: 'Calibration' }).click()
    await page.getByRole('table', { name: 'Current and proposed live rate' }).waitFor()
    await page.screenshot({ path: ctx.shot('42-operator-calibration'), fullPage: true })

    await page.getByRole('tab', { name: 'Reconciliation' }).click()
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
    await page.getByLabel('Rows').fill(`date,model,cost_usd\n${day},gpt-4o-mini,0.0042`)
    await page.getByRole('button', { name: 'Import costs' }).click()
    await page.getByText('Imported', { exact: true }).waitFor()
    await page.getByLabel('Day (UTC)').fill(day)
    await page.getByRole('button', { name: 'Reconcile' }).click()
    await page.getByTestId('reconciliation-run').filter({ hasText: day }).first().waitFor()
    await page.screenshot({ path: ctx.shot('43-operator-reconciliation'), fullPage: true })
    assertNoErrors()
    // A file with a bad row is refused whole, with the row named (a 400, after the console check).
    await page.getByLabel('Rows').fill('date,model,cost_usd\nnot-a-date,gpt-4o-mini,1')
    await page.getByRole('button', { name: 'Import costs' }).click()
    await page.getByText('Import refused').waitFor()
    await page.getByText(/^Line 2: /).waitFor()

    // The token stays for this tab only; axe on each operator tab.
    const axe = await axeContext(ctx, context)
    await axe.page.goto('/operator')
    await axe.page.evaluate((t) => window.sessionStorage.setItem('camarad.operatorToken', t), token)
    const problems: string[] = []
    for (const tab of ['', 'rates', 'telemetry', 'calibration', 'reconciliation']) {
      await axe.page.goto(`/operator${tab ? `?tab=${tab}` : ''}`)
      await axe.page.getByRole('tabpanel').waitFor()
      await networkSettled(axe.page)
      problems.push(...(await axeProblems(axe.page, `operator ${tab || 'prices'}`)))
    }
    await axe.context.close()
    await context.close()
    assert.deepEqual(problems, [])
  },
}

/** On the server without an AI provider. */
export const usageScenarios: Scenario[] = [usagePage, offlineChatCost, operatorOff]
/** On the priced server (fake OpenAI, INTERNAL_TOKEN). */
export const operatorScenarios: Scenario[] = [operatorPages]
