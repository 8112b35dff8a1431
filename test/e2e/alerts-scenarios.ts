import assert from 'node:assert/strict'
import { onboard, type Scenario } from './scenarios.ts'

const alertCentre: Scenario = {
  name:
    'alerts: an admin has the app open → a create past the Free plan’s client limit → a toast appears live → the ' +
    'bell counts it → the alert centre lists it → acknowledged, it leaves the unacknowledged list',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Alerting Agency', 'First Client')
    const status = (await (await page.request.get('/api/auth/status')).json()) as { workspaces: { id: string }[] }
    const workspaceId = status.workspaces[0]!.id
    await page.goto('/app/alerts')
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor()
    await page.getByText('Nothing to acknowledge').waitFor()
    // The bell holds the live stream: wait until it is open, then pass the limit from another tab's request.
    await page.locator('[data-testid="alert-bell"][data-live="true"]').waitFor()
    // API calls of the page's own origin (CSRF: a cookie-authenticated write must come from Camarad).
    const create = (name: string) =>
      page.request.post('/api/clients', {
        headers: { 'x-workspace-id': workspaceId, origin: ctx.baseUrl },
        data: { name },
      })
    assert.equal((await create('Second Client')).status(), 201)
    assert.equal((await create('Third Client')).status(), 402)

    const toast = page.getByRole('status').filter({ hasText: 'Plan limit reached' })
    await toast.waitFor()
    await page.getByTestId('alert-count').filter({ hasText: '1' }).waitFor()
    const row = page.getByTestId('alert-row').filter({ hasText: 'Plan limit reached' })
    await row.waitFor()
    assert.match((await row.textContent()) ?? '', /allows 2 clients and 2 are in use/)
    await page.screenshot({ path: ctx.shot('90-alert-toast') })

    await row.getByRole('button', { name: 'Acknowledge' }).click()
    await page.getByText('Nothing to acknowledge').waitFor()
    await page.getByTestId('alert-count').waitFor({ state: 'detached' })
    await page.getByRole('button', { name: 'All', exact: true }).click()
    await page.getByTestId('alert-row').filter({ hasText: 'Acknowledged' }).waitFor()
    await page.screenshot({ path: ctx.shot('91-alert-centre'), fullPage: true })
    assertNoErrors()
    await context.close()
  },
}

export const alertsScenarios: Scenario[] = [alertCentre]
