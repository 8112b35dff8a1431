import assert from 'node:assert/strict'
import type { BrowserContext, Page } from 'playwright-core'
import { startFakeWhatsAppCloud, type FakeWhatsAppCloud } from '../fakes/whatsapp-cloud.ts'
import { dismissToasts, onboard, type Scenario, type ScenarioContext } from './scenarios.ts'

/**
 * WhatsApp numbers and the inbox, as an agency would use them: a Cloud API number connected on a loopback fake of
 * Meta's Graph API (run.ts passes its URL and the app's secrets to the priced server), a customer's message arriving
 * by a signed webhook and appearing live, a reply drafted by an agent (the priced server's fake OpenAI) and edited
 * before it is sent, whose ticks move to read as the fake reports its statuses, and the team's assignment, labels and
 * notes on the conversation.
 */
const APP_SECRET = 'e2e-meta-app-secret-0123456789abcdef'
const NUMBER = { phoneNumberId: '106540352242922', accessToken: 'EAAG-e2e-token-0123456789-abcdef' }
const CUSTOMER = { waId: '40712345678', name: 'Ana Pop' }
/** What the priced server's model (the loopback fake OpenAI run.ts starts) answers to every prompt. */
const SUGGESTION =
  'Lead with the seasonal menu, then add a limited-time offer for weekday lunches and a referral bonus.'
const EDIT = ' Vă așteptăm sâmbătă!'
const OWNER = 'Inbox Agency owner'
const NOTE = 'Group of 10 children on Saturday: call back to confirm the cake.'

/** A second Cloud number of the fake, with a business account whose templates the fake lists (CRM campaigns). */
export const CAMPAIGN_NUMBER = {
  phoneNumberId: '106540352242955',
  accessToken: 'EAAG-e2e-campaign-token-0123456789',
  wabaId: '102290129340455',
}

/** The fake Graph API and what the server it serves needs to know (run.ts starts it before the priced server). */
export const startE2eWhatsApp = async () => {
  const fake = await startFakeWhatsAppCloud({
    appSecret: APP_SECRET,
    numbers: [
      { ...NUMBER, displayPhoneNumber: '+40 700 000 000', verifiedName: 'Cafenea Luna' },
      // The CRM campaign scenario's number, with a business account and an approved template.
      { ...CAMPAIGN_NUMBER, displayPhoneNumber: '+40 700 000 055', verifiedName: 'Spring Shop' },
    ],
    templates: {
      [CAMPAIGN_NUMBER.wabaId]: [
        {
          name: 'spring_offer',
          language: 'ro',
          components: [
            { type: 'BODY', text: 'Bună {{1}}! Avem reduceri de primăvară. Răspunde STOP pentru dezabonare.' },
          ],
        },
      ],
    },
  })
  return {
    fake,
    env: {
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'e2e-verify-token',
      WHATSAPP_GRAPH_API_BASE: fake.url,
    },
  }
}

const workspaceOf = async (page: Page) =>
  ((await (await page.request.get('/api/auth/status')).json()) as { workspaces: { id: string }[] }).workspaces[0]!.id

/** The same session at a phone's size, for the screenshots of each page as a phone shows it. */
const phoneShots = async (
  ctx: ScenarioContext,
  signedIn: BrowserContext,
  shots: { path: string; name: string; ready: (p: Page) => Promise<unknown> }[],
) => {
  const context = await ctx.browser.newContext({ baseURL: ctx.baseUrl, viewport: { width: 390, height: 844 } })
  await context.addCookies(await signedIn.cookies())
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  for (const s of shots) {
    await page.goto(s.path)
    await s.ready(page)
    await page.screenshot({ path: ctx.shot(s.name) })
  }
  await context.close()
}

const cloudNumberToRead = (fake: FakeWhatsAppCloud): Scenario => ({
  name:
    'inbox: add a Cloud number (the plan limit first, then on Starter), a customer writes → the thread appears live, ' +
    'opening it reads it, a suggested reply edited and sent, its ticks moving from queued to sent, delivered and read ' +
    '(blue) as statuses arrive; assigned to oneself, labelled, noted, all still there after a reload',
  async run(ctx) {
    const token = ctx.internalToken
    assert.ok(token, 'the priced server has an operator token')
    const webhook = `${ctx.baseUrl}/api/webhooks/whatsapp`
    const { page, context, assertNoErrors } = await onboard(ctx, 'Inbox Agency', 'Cafenea Luna', {
      width: 1280,
      height: 900,
    })
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'WhatsApp numbers' }).click()
      await page.waitForURL('**/app/numbers')
      await page.getByText('No numbers yet — add one').waitFor()

      const addCloudNumber = async () => {
        await page.getByRole('button', { name: 'Add number' }).first().click()
        const dialog = page.getByRole('dialog', { name: 'Add a WhatsApp number' })
        await dialog.getByRole('radio', { name: /WhatsApp Cloud API/ }).check()
        await dialog.getByLabel('Name', { exact: true }).fill('Reception')
        await dialog.getByLabel('Phone number id', { exact: true }).fill(NUMBER.phoneNumberId)
        await dialog.getByLabel('Access token', { exact: true }).fill(NUMBER.accessToken)
        await dialog.getByRole('button', { name: 'Connect number' }).click()
        return dialog
      }
      // The Free plan has no WhatsApp number: the refusal says so, with the way to the plans.
      const refused = await addCloudNumber()
      await page.getByRole('link', { name: 'See plans' }).waitFor()
      await refused.waitFor({ state: 'hidden' })
      const res = await fetch(`${ctx.baseUrl}/api/operator/workspaces/${await workspaceOf(page)}/plan`, {
        method: 'PUT',
        headers: { 'x-internal-token': token, 'content-type': 'application/json' },
        body: JSON.stringify({ plan: 'starter', reason: 'e2e: WhatsApp numbers' }),
      })
      assert.equal(res.status, 200, await res.text())

      await addCloudNumber()
      const card = page.getByRole('article', { name: 'Reception' })
      await card.getByText('Connected', { exact: true }).waitFor()
      await card.getByText(/WhatsApp Cloud API/).waitFor()
      await dismissToasts(page)
      await page.screenshot({ path: ctx.shot('90-numbers') })

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).click()
      await page.waitForURL('**/app/inbox')
      await page.getByText('No conversations yet').waitFor()
      await page.locator('[data-testid="inbox-live"][data-state="live"]').waitFor()

      // Meta delivers the customer's message: it appears without a reload.
      const status = await fake.deliver(
        webhook,
        fake.inboundText(NUMBER.phoneNumberId, CUSTOMER, 'Bună! Aveți loc sâmbătă pentru 10 copii?'),
      )
      assert.equal(status, 200)
      const item = page.getByTestId('thread-item').filter({ hasText: CUSTOMER.name })
      await item.waitFor()
      assert.match(await item.getByTestId('unread-badge').innerText(), /^1\b/)
      await item.getByRole('link', { name: CUSTOMER.name }).click()
      await page.waitForURL(/\/app\/inbox\/[^/]+$/)
      const threadPath = new URL(page.url()).pathname
      const conversation = page.getByRole('log', { name: 'Messages' })
      await conversation.getByText('Bună! Aveți loc sâmbătă pentru 10 copii?').waitFor()
      // Opening it marks it read: the badge goes.
      await item.getByTestId('unread-badge').waitFor({ state: 'detached' })

      // An agent drafts the reply (metered: the operator gives the workspace credits for it); the reply box holds
      // the draft, which is edited before it is sent.
      const grant = await fetch(`${ctx.baseUrl}/api/operator/workspaces/${await workspaceOf(page)}/credits`, {
        method: 'POST',
        headers: { 'x-internal-token': token, 'content-type': 'application/json' },
        body: JSON.stringify({ credits: 3, reason: 'e2e: suggested replies' }),
      })
      assert.equal(grant.status, 201, await grant.text())
      const reply = page.getByRole('textbox', { name: 'Reply' })
      await page.getByRole('button', { name: 'Suggest reply' }).click()
      await page.waitForFunction(
        (text) => document.querySelector<HTMLTextAreaElement>('textarea[placeholder="Write a reply…"]')?.value === text,
        SUGGESTION,
      )
      await reply.focus()
      await page.keyboard.press('Control+End')
      await reply.pressSequentially(EDIT)
      assert.equal(await reply.inputValue(), SUGGESTION + EDIT)
      await reply.press('Enter')
      const ours = conversation.locator('[data-testid="message"][data-direction="out"]')
      await ours.getByText(SUGGESTION + EDIT).waitFor()
      const ticks = ours.getByTestId('message-status')
      await ours.locator('[data-testid="message-status"][data-status="sent"]').waitFor({ timeout: 30_000 })
      assert.equal(fake.sent.length, 1)
      const sent = fake.sent[0]!
      assert.equal(sent.to, CUSTOMER.waId)
      assert.equal(await reply.inputValue(), '', 'the reply box is empty once sent')

      assert.equal(
        await fake.deliver(webhook, fake.statuses(NUMBER.phoneNumberId, [{ message: sent, status: 'delivered' }])),
        200,
      )
      await ours.locator('[data-testid="message-status"][data-status="delivered"]').waitFor()
      assert.equal(
        await fake.deliver(webhook, fake.statuses(NUMBER.phoneNumberId, [{ message: sent, status: 'read' }])),
        200,
      )
      await ours.locator('[data-testid="message-status"][data-status="read"]').waitFor()
      assert.equal(await ticks.getAttribute('aria-label'), 'Read')
      const colour = await ticks.evaluate((el) => getComputedStyle(el).color)
      const [r, , b] = (colour.match(/[\d.]+/g) ?? []).map(Number)
      assert.ok(b! > r! && b! > 150, `read ticks are blue: ${colour}`)
      await dismissToasts(page)
      await page.screenshot({ path: ctx.shot('91-inbox') })

      // The details sheet: take the conversation, label it, leave a note for the team; Escape closes it.
      await page.getByRole('button', { name: 'Details' }).click()
      const sheet = page.getByRole('dialog', { name: CUSTOMER.name })
      await sheet.getByRole('heading', { name: 'Internal notes' }).waitFor()
      await sheet.getByText('No notes yet.').waitFor()
      const assignee = sheet.getByLabel('Assigned to')
      const chosen = (select: typeof assignee) =>
        select.evaluate((el) => (el as HTMLSelectElement).selectedOptions[0]?.text ?? '')
      const header = page.getByRole('region', { name: 'Conversation', exact: true }).locator('header')
      await sheet.getByRole('button', { name: 'Assign to me' }).click()
      await header.getByText(`assigned to ${OWNER}`).waitFor()
      assert.equal(await chosen(assignee), OWNER)
      await sheet.getByRole('button', { name: 'Assign to me' }).waitFor({ state: 'detached' })
      await sheet.getByLabel('New label').fill('  birthday ')
      await sheet.getByRole('button', { name: 'Add', exact: true }).click()
      await sheet
        .getByRole('listitem')
        .filter({ hasText: /^birthday$/ })
        .waitFor()
      await item.getByRole('list', { name: 'Labels' }).getByRole('button', { name: 'birthday' }).waitFor()
      await sheet.getByLabel('New note').fill(NOTE)
      await sheet.getByRole('button', { name: 'Add note' }).click()
      const note = sheet.getByTestId('thread-note').filter({ hasText: NOTE })
      await note.waitFor()
      await note.getByText(new RegExp(`^${OWNER} · `)).waitFor()
      assert.equal(await sheet.getByLabel('New note').inputValue(), '', 'the note box is empty once added')
      await page.screenshot({ path: ctx.shot('95-inbox-details') })
      await page.keyboard.press('Escape')
      await sheet.waitFor({ state: 'hidden' })
      await page.getByRole('button', { name: 'Details' }).waitFor()

      // All of it is stored: after a reload, the conversation (opened by its link) still shows them.
      await page.reload()
      await conversation.getByText(SUGGESTION + EDIT).waitFor()
      await header.getByText(`assigned to ${OWNER}`).waitFor()
      await item.getByRole('list', { name: 'Labels' }).getByRole('button', { name: 'birthday' }).waitFor()
      await page.getByRole('button', { name: 'Details' }).click()
      await sheet.getByTestId('thread-note').filter({ hasText: NOTE }).waitFor()
      await sheet
        .getByRole('listitem')
        .filter({ hasText: /^birthday$/ })
        .waitFor()
      assert.equal(await chosen(assignee), OWNER)
      await page.keyboard.press('Escape')
      await sheet.waitFor({ state: 'hidden' })

      // Narrowed to the unassigned ones, the list no longer holds the conversation: it stays open (read by its id).
      await page.getByRole('button', { name: 'Unassigned', exact: true }).click()
      await item.waitFor({ state: 'detached' })
      await page.getByText('No conversation matches').waitFor()
      await conversation.getByText(SUGGESTION + EDIT).waitFor()
      await header.getByText(`assigned to ${OWNER}`).waitFor()

      await phoneShots(ctx, context, [
        {
          path: '/app/numbers',
          name: '92-numbers-mobile',
          ready: (p) => p.getByRole('article', { name: 'Reception' }).waitFor(),
        },
        {
          path: '/app/inbox',
          name: '93-inbox-mobile-list',
          ready: (p) => p.getByTestId('thread-item').filter({ hasText: CUSTOMER.name }).waitFor(),
        },
        {
          path: threadPath,
          name: '94-inbox-mobile-conversation',
          ready: async (p) => {
            await p.locator('[data-testid="message-status"][data-status="read"]').waitFor()
            await p.getByRole('link', { name: 'Back to conversations' }).waitFor()
          },
        },
      ])
      assertNoErrors()
    } finally {
      await context.close()
    }
  },
})

/** On the priced server (the operator API assigns the plan a number needs), with the fake Graph API behind it. */
export const inboxScenarios = (fake: FakeWhatsAppCloud): Scenario[] => [cloudNumberToRead(fake)]
