import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import type { BrowserContext, Locator, Page } from 'playwright-core'
import { networkSettled, onboard, trackNetwork, type Scenario, type ScenarioContext } from './scenarios.ts'
import { axeContext, axeProblems } from './usage-scenarios.ts'

/**
 * Flows, tried as a new user would on the server with the offline model (run.ts opens 127.0.0.0/8 to its egress
 * guard): build webhook → AI step → condition → HTTP request on the canvas with the mouse, publish, call the webhook
 * with curl, watch the steps arrive in the run's live console, read each step's input and output; compose a flow from
 * a prompt; start one from a template.
 */
const run = promisify(execFile)

type Received = { method: string; url: string; headers: IncomingHttpHeaders; body: string }

/**
 * A loopback "CRM" the HTTP step posts to. Each request is held until `release()` so the test can watch the run in
 * flight (the HTTP step started, not yet completed); then it answers 201 with a JSON body.
 */
const startCrm = async () => {
  const received: Received[] = []
  let open: () => void = () => undefined
  let gate = new Promise<void>((ok) => (open = ok))
  const arrived: (() => void)[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      })
      for (const f of arrived.splice(0)) f()
      void gate.then(() => {
        res.writeHead(201, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ id: `crm-${received.length}`, stored: true }))
      })
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/leads`,
    received,
    /** Resolves once a request has arrived (at once if one already has). */
    firstRequest: () => (received.length ? Promise.resolve() : new Promise<void>((ok) => arrived.push(ok))),
    release: () => {
      open()
      gate = Promise.resolve()
    },
    close: () =>
      new Promise<void>((ok) => {
        open()
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
}

const canvasOf = (page: Page) => page.getByLabel(/^Canvas of /)
const nodeOn = (page: Page, label: string) => page.getByRole('group', { name: label, exact: true })

/**
 * Drags a palette entry onto the canvas, as a person would with the mouse, at a point given in fractions of the
 * canvas's width and height.
 */
const dropNode = async (page: Page, type: string, at: { x: number; y: number }) => {
  const box = await canvasOf(page).boundingBox()
  assert.ok(box, 'no canvas')
  await page
    .getByRole('navigation', { name: 'Node palette' })
    .getByRole('button', { name: `Add ${type}`, exact: true })
    .dragTo(canvasOf(page), { targetPosition: { x: box.width * at.x, y: box.height * at.y } })
}

const centre = async (l: Locator) => {
  const box = await l.boundingBox()
  assert.ok(box, 'element not on screen')
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 }
}

/** Connects an output handle of one node to the input handle of another by dragging between them with the mouse. */
const connect = async (page: Page, from: Locator, port: string, to: Locator) => {
  const a = await centre(from.getByTitle(`Output ${port}`, { exact: true }))
  const b = await centre(to.getByTitle('Input in', { exact: true }))
  await page.mouse.move(a.x, a.y)
  await page.mouse.down()
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 8 })
  await page.mouse.move(b.x, b.y, { steps: 8 })
  await page.mouse.up()
}

const settings = (page: Page) => page.getByRole('complementary', { name: 'Node settings' })

/** Selects a node on the canvas (a click on its title), and waits for its settings panel. */
const select = async (page: Page, node: Locator, typeLabel: string) => {
  await node.click()
  await settings(page).getByRole('heading', { name: typeLabel, exact: true }).waitFor()
}

/** Waits until the editor says the draft is saved and checked, with no problem left. */
const savedAndValid = async (page: Page) => {
  await page.getByText('All changes saved').waitFor()
  await page.getByText('No problems found').waitFor()
}

/** The same session at another viewport, to shoot a page as a phone (or a laptop) shows it. */
const shootAt = async (
  ctx: ScenarioContext,
  signedIn: BrowserContext,
  viewport: { width: number; height: number },
  shots: { path: string; name: string; ready: (p: Page) => Promise<unknown> }[],
) => {
  const context = trackNetwork(await ctx.browser.newContext({ baseURL: ctx.baseUrl, viewport }))
  await context.addCookies(await signedIn.cookies())
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  for (const s of shots) {
    await page.goto(s.path)
    await s.ready(page)
    await networkSettled(page)
    await page.screenshot({ path: ctx.shot(s.name) })
  }
  await context.close()
}

const webhookToCrm: Scenario = {
  name: 'flows: build webhook → AI step → condition → HTTP request on the canvas, publish, curl it, watch the steps stream, read each step’s input and output',
  async run(ctx) {
    const crm = await startCrm()
    const session = await onboard(ctx, 'Flow Agency', 'Pasticceria Neri', { width: 1280, height: 900 })
    const { page, context, assertNoErrors } = session
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flows' }).click()
      await page.waitForURL('**/app/flows')
      await page.getByText('No flows yet').waitFor()
      await page.getByRole('button', { name: 'New flow' }).first().click()
      const create = page.getByRole('dialog', { name: 'New flow' })
      await create.getByLabel('Name', { exact: true }).fill('Lead to CRM')
      await create.getByRole('button', { name: 'Create' }).click()
      await page.waitForURL(/\/app\/flows\/[^/]+$/)
      const flowId = new URL(page.url()).pathname.split('/').pop()!

      // A new flow starts with a manual trigger: this one is started by a webhook instead.
      const manual = nodeOn(page, 'Manual trigger node Manual trigger')
      await select(page, manual, 'Manual trigger')
      await settings(page).getByRole('button', { name: 'Delete node' }).click()
      await manual.waitFor({ state: 'detached' })
      // The check that follows says the flow has no trigger yet (its warning moves the canvas down: wait for it).
      await page.getByText('This flow cannot be published yet').waitFor()

      await dropNode(page, 'Webhook', { x: 0.25, y: 0.2 })
      await dropNode(page, 'AI step', { x: 0.72, y: 0.2 })
      await dropNode(page, 'Condition', { x: 0.25, y: 0.5 })
      await dropNode(page, 'HTTP request', { x: 0.72, y: 0.5 })
      const webhook = nodeOn(page, 'Webhook node Webhook')
      const ai = nodeOn(page, 'AI step node AI step')
      const condition = nodeOn(page, 'Condition node Condition')
      const http = nodeOn(page, 'HTTP request node HTTP request')
      for (const n of [webhook, ai, condition, http]) await n.waitFor()

      await connect(page, webhook, 'out', ai)
      await connect(page, ai, 'out', condition)
      await connect(page, condition, 'true', http)
      const edges = page.locator('[aria-roledescription="edge"]')
      await page.waitForFunction(() => document.querySelectorAll('[aria-roledescription="edge"]').length === 3)
      assert.deepEqual((await edges.evaluateAll((es) => es.map((e) => e.getAttribute('aria-label')))).sort(), [
        'Edge from ai out to condition in',
        'Edge from condition true to http in',
        'Edge from webhook out to ai in',
      ])

      // The AI step's prompt is an expression over the webhook's body.
      await select(page, ai, 'AI step')
      await settings(page).getByRole('button', { name: 'Use an expression for Prompt' }).click()
      await settings(page)
        .getByLabel('Prompt', { exact: true })
        .fill('"Qualify this lead in one sentence: " & body.name & " <" & body.email & ">, wants " & body.interest')
      // The condition goes on when the model answered something.
      await select(page, condition, 'Condition')
      await settings(page).getByRole('button', { name: 'Use an expression for If' }).click()
      await settings(page).getByLabel('If', { exact: true }).fill('$length(text) > 0')
      // The HTTP request posts the lead and the model's verdict to the CRM.
      await select(page, http, 'HTTP request')
      await settings(page).getByLabel('Method', { exact: true }).selectOption({ label: 'POST' })
      await settings(page).getByLabel('URL', { exact: true }).fill(crm.url)
      await settings(page).getByRole('button', { name: 'Use an expression for Body' }).click()
      await settings(page)
        .getByLabel('Body (optional)', { exact: true })
        .fill('{ "email": $trigger.body.email, "verdict": text }')
      await savedAndValid(page)
      await page.getByRole('button', { name: 'Fit View' }).click()
      await page.screenshot({ path: ctx.shot('70-flow-canvas') })

      await page.getByRole('button', { name: 'Publish', exact: true }).click()
      const hookDialog = page.getByRole('dialog', { name: 'Webhook URL' })
      await hookDialog.waitFor()
      if (await hookDialog.getByRole('button', { name: 'Make the URL' }).isVisible())
        await hookDialog.getByRole('button', { name: 'Make the URL' }).click()
      const hookUrl = ((await hookDialog.getByTestId('webhook-url').textContent()) ?? '').trim()
      assert.match(hookUrl, /\/api\/hooks\/flows\/[\w-]+$/)
      await page.screenshot({ path: ctx.shot('71-flow-webhook-url') })
      await hookDialog.getByRole('button', { name: 'Done' }).click()
      await page.getByText(/^v1, published/).waitFor()
      // Opened again, the dialog shows the URL's start (the secret is not shown twice) and offers to rotate it.
      await page.getByRole('button', { name: 'Webhook URL' }).click()
      await hookDialog.getByText(hookUrl.split('/').pop()!.slice(0, 8)).waitFor()
      assert.equal(await hookDialog.getByRole('button', { name: 'Make the URL' }).count(), 0)
      await hookDialog.getByRole('button', { name: 'Rotate URL' }).waitFor()
      await hookDialog.getByRole('button', { name: 'Done' }).click()

      // A lead arrives, from outside the browser.
      const lead = { name: 'Giulia Bianchi', email: 'giulia@example.test', interest: 'a wedding cake for 120 guests' }
      const { stdout } = await run('curl', [
        '-sS',
        '-X',
        'POST',
        '-H',
        'content-type: application/json',
        '-w',
        '\n%{http_code}',
        '--data',
        JSON.stringify(lead),
        hookUrl,
      ])
      const [answer, code] = stdout.trim().split('\n')
      assert.equal(code, '202', stdout)
      const { runId } = JSON.parse(answer!) as { runId: string }
      assert.ok(runId)

      // The run waits on the CRM's answer: its page shows the steps done so far, live.
      await crm.firstRequest()
      await page.goto(`/app/flows/runs/${runId}`)
      const consoleView = page.getByRole('region', { name: 'Run console' })
      await consoleView.waitFor()
      const row = (name: string) => consoleView.getByRole('listitem').filter({ hasText: name })
      await row('AI step').getByText('Completed').waitFor()
      await row('Condition').getByText('Completed').waitFor()
      await row('HTTP request').getByText('Running').waitFor()
      await page.screenshot({ path: ctx.shot('72-flow-run-live') })
      crm.release()
      await row('HTTP request').getByText('Completed').waitFor()
      await consoleView.getByText(/Finished: Completed/).waitFor()

      // What the CRM got: the lead and the verdict, with the step's idempotency key.
      assert.equal(crm.received.length, 1)
      const [sent] = crm.received
      assert.equal(sent!.method, 'POST')
      assert.match(String(sent!.headers['idempotency-key']), new RegExp(runId))
      const posted = JSON.parse(sent!.body) as { email: string; verdict: string }
      assert.equal(posted.email, lead.email)
      assert.ok(posted.verdict.length > 0)

      // The trace: each step's input and output.
      await page.getByRole('heading', { name: 'Run of Lead to CRM' }).waitFor()
      await page.getByText('Completed', { exact: true }).first().waitFor()
      const steps = page.getByRole('region', { name: 'Steps' }).getByRole('listitem')
      await steps.first().waitFor()
      const names = await steps.locator('summary').allTextContents()
      for (const n of ['Webhook', 'AI step', 'Condition', 'HTTP request'])
        assert.ok(
          names.some((t) => t.includes(n)),
          `no step ${n} in ${names.join(' | ')}`,
        )
      const stepNamed = (n: string) => steps.filter({ has: page.locator('summary', { hasText: n }) }).first()
      const io = async (n: string) => {
        const step = stepNamed(n)
        await step.locator('summary').click()
        const [input, output] = await Promise.all([
          step.getByRole('region', { name: 'Input' }).textContent(),
          step.getByRole('region', { name: 'Output' }).textContent(),
        ])
        return { input: input ?? '', output: output ?? '' }
      }
      const aiIo = await io('AI step')
      assert.match(aiIo.input, /giulia@example\.test/)
      assert.match(aiIo.output, /"text"/)
      const conditionIo = await io('Condition')
      assert.match(conditionIo.input, /"text"/)
      const httpIo = await io('HTTP request')
      assert.match(httpIo.input, /"text"/)
      assert.match(httpIo.output, /201/)
      assert.match(httpIo.output, /crm-1/)
      await stepNamed('HTTP request').scrollIntoViewIfNeeded()
      await page.screenshot({ path: ctx.shot('73-flow-run-trace') })

      // The list: the flow, published; the runs tab has the webhook run.
      await page.goto('/app/flows')
      await page.getByRole('link', { name: 'Lead to CRM' }).waitFor()
      await page.screenshot({ path: ctx.shot('74-flows-list') })
      await page.getByRole('tab', { name: 'Runs' }).click()
      await page.getByRole('table', { name: 'Flow runs' }).getByText('Webhook').first().waitFor()

      await shootAt(ctx, context, { width: 390, height: 844 }, [
        {
          path: `/app/flows/${flowId}`,
          name: '75-flow-canvas-phone',
          ready: (p) => p.getByRole('group', { name: 'HTTP request node HTTP request' }).waitFor(),
        },
        {
          path: `/app/flows/runs/${runId}`,
          name: '76-flow-run-phone',
          ready: (p) => p.getByRole('heading', { name: 'Run of Lead to CRM' }).waitFor(),
        },
        {
          path: '/app/flows',
          name: '77-flows-list-phone',
          ready: (p) => p.getByRole('link', { name: 'Lead to CRM' }).waitFor(),
        },
      ])

      const axe = await axeContext(ctx, context)
      const problems: string[] = []
      for (const [path, ready] of [
        ['/app/flows', 'Lead to CRM'],
        [`/app/flows/${flowId}`, 'Webhook URL'],
        [`/app/flows/runs/${runId}`, 'Export JSON'],
      ] as const) {
        await axe.page.goto(path)
        await axe.page.getByText(ready, { exact: true }).first().waitFor()
        await networkSettled(axe.page)
        problems.push(...(await axeProblems(axe.page, path)))
      }
      await axe.context.close()
      assert.deepEqual(problems, [])
      assertNoErrors()
    } finally {
      await context.close()
      await crm.close()
    }
  },
}

const composeAndTemplate: Scenario = {
  name: 'flows: compose a flow from a prompt (offline model: free) and open it; start a flow from a template',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Compose Agency', 'Fioreria Verde', {
      width: 1280,
      height: 900,
    })
    await page.goto('/app/flows')
    await page.getByRole('button', { name: 'Compose from a prompt' }).first().click()
    const dialog = page.getByRole('dialog', { name: 'Compose a flow from a prompt' })
    await dialog
      .getByLabel('What should the flow do?')
      .fill('When a lead arrives by webhook, qualify it with AI and email the good ones to sales.')
    await dialog.getByRole('button', { name: 'See the cost' }).click()
    await dialog.getByText('Offline model: free.').waitFor()
    await page.screenshot({ path: ctx.shot('78-flow-compose') })
    await dialog.getByRole('button', { name: 'Compose', exact: true }).click()
    await page.waitForURL(/\/app\/flows\/[^/]+$/)
    const nodes = page.locator('[aria-roledescription="node"]')
    await nodes.first().waitFor()
    assert.ok((await nodes.count()) >= 3, 'the composed flow has its nodes on the canvas')
    assert.ok((await page.locator('[aria-roledescription="edge"]').count()) >= 2, 'and its connections')
    await page.getByText('No problems found').waitFor()
    await page.screenshot({ path: ctx.shot('79-flow-composed') })
    const composed = await page.getByLabel('Flow name').inputValue()

    // The Free plan holds one flow: archiving this one frees its slot for the template's.
    await page.getByRole('button', { name: 'Archive', exact: true }).click()
    await page.getByText('This flow is archived').waitFor()
    await page.getByRole('link', { name: '← Flows' }).click()
    await page.getByText('No flows yet').waitFor()
    await page.getByRole('button', { name: 'From a template' }).first().click()
    const gallery = page.getByRole('dialog', { name: 'Start from a template' })
    const use = gallery.getByRole('button', { name: /^Use template / })
    await use.first().waitFor()
    assert.ok((await use.count()) >= 5, 'the gallery has at least five templates')
    await page.screenshot({ path: ctx.shot('80-flow-templates') })
    const name = 'Weekly client report'
    await gallery.getByRole('button', { name: `Use template ${name}` }).click()
    await page.waitForURL(/\/app\/flows\/[^/]+$/)
    await page
      .getByLabel('Flow name')
      .and(page.locator(`[value="${name}"]`))
      .waitFor()
    await nodes.first().waitFor()
    assert.ok((await nodes.count()) >= 2)
    await page.getByText('No problems found').waitFor()
    await page.screenshot({ path: ctx.shot('81-flow-from-template') })
    // The schedule trigger shows when it will fire, as the scheduler computes it, in its time zone.
    await select(page, nodes.filter({ hasText: 'Every Monday 08:00' }), 'Schedule')
    const next = settings(page).getByRole('region', { name: 'Next runs' })
    await next.locator('time').nth(4).waitFor()
    for (const text of await next.locator('time').allTextContents()) assert.match(text, /^Monday, .* 8:00/)
    await page.screenshot({ path: ctx.shot('82-flow-schedule-next') })
    await page.goto('/app/flows')
    await page.getByRole('link', { name }).waitFor()
    assert.equal(await page.getByRole('link', { name: composed }).count(), 0, 'an archived flow is not listed')
    assertNoErrors()
    await context.close()
  },
}

export const flowsScenarios: Scenario[] = [webhookToCrm, composeAndTemplate]
