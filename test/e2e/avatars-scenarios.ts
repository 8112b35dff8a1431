import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { gifHead, solidPng } from '../fixtures/pictures.ts'
import { networkSettled, onboard, openPage, type Scenario } from './scenarios.ts'

/**
 * Every avatar element on the page is drawn: an <svg> with shapes, or a picture that loaded (naturalWidth > 0) —
 * never bare text (an emoji renders as an empty box where no emoji font is installed, as on this machine).
 * Answers the design keys seen.
 */
const assertAvatarsDrawn = async (page: Page, atLeast: number) => {
  const found = await page.locator('[data-agent-avatar]').evaluateAll((els) =>
    els.map((el) => {
      const img = el.querySelector('img')
      const svg = el.querySelector('svg')
      const box = el.getBoundingClientRect()
      const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent?.trim())
      return {
        key: el.getAttribute('data-agent-avatar'),
        drawn: img
          ? img.complete && img.naturalWidth > 0
          : Boolean(svg && svg.querySelectorAll('path, circle, rect, text').length > 1),
        ownText,
        round: Math.abs(box.width - box.height) < 0.5 && box.width >= 20,
      }
    }),
  )
  assert.ok(found.length >= atLeast, `expected at least ${atLeast} avatars, found ${found.length}`)
  for (const a of found) {
    assert.ok(a.drawn, `avatar ${a.key} is not drawn`)
    assert.ok(!a.ownText, `avatar ${a.key} holds bare text`)
    assert.ok(a.round, `avatar ${a.key} is not a circle`)
  }
  return found.map((a) => a.key)
}

const avatarsEverywhere: Scenario = {
  name: 'avatars: the built-in agents drawn as SVG at 1280×720, 390×844 and 1280×900, a custom agent with initials, then its picture; a GIF refused',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Avatar Agency', 'Studio Nord', {
      width: 1280,
      height: 900,
    })
    await page.getByRole('article').filter({ hasText: 'PPC Specialist' }).first().waitFor()
    await networkSettled(page)
    // The agents grid at the three sizes the layout is checked at (issue 18): every design drawn at each.
    for (const [width, height] of [
      [1280, 720],
      [390, 844],
      [1280, 900],
    ] as const) {
      await page.setViewportSize({ width, height })
      await networkSettled(page)
      const keys = await assertAvatarsDrawn(page, 6)
      for (const k of ['strategist', 'ppc', 'seo', 'copywriter', 'analyst', 'support'])
        assert.ok(keys.includes(k), `no ${k} avatar on the agents grid at ${width}×${height}`)
      await page.screenshot({ path: ctx.shot(`avatars-01-agents-grid-${width}x${height}`), fullPage: true })
    }

    // The agents settings: a custom agent gets its initials; then a picture of its own.
    await page.goto('/app/settings/agents')
    await page.getByRole('button', { name: 'New agent' }).click()
    await page.getByLabel('Agent name').fill('Ana Maria Pop')
    await page.getByLabel('Instructions').fill('You write short, warm replies for the studio.')
    await page.getByRole('button', { name: 'Create agent' }).click()
    const row = page.getByTestId('agent-row').filter({ hasText: 'Ana Maria Pop' })
    await row.waitFor()
    assert.equal(await row.locator('[data-agent-avatar="initials"] svg text').textContent(), 'AP')
    await page.getByRole('button', { name: 'Edit Ana Maria Pop' }).click()
    const picture = page.getByLabel('Picture of Ana Maria Pop')
    // A GIF is refused before it is sent (the server reads the bytes too: test/api/agent-avatars.test.ts).
    await picture.setInputFiles({ name: 'anim.gif', mimeType: 'image/gif', buffer: gifHead() })
    await page.getByRole('alert').filter({ hasText: 'Use a PNG, JPEG or WebP picture.' }).waitFor()
    await picture.setInputFiles({ name: 'ana.png', mimeType: 'image/png', buffer: solidPng(64, [14, 116, 144]) })
    await page.getByText('Picture of Ana Maria Pop uploaded').first().waitFor()
    await row.locator('img').first().waitFor()
    await networkSettled(page)
    await assertAvatarsDrawn(page, 8)
    await page.screenshot({ path: ctx.shot('avatars-02-custom-agent-picture'), fullPage: true })
    await page.getByRole('button', { name: 'Remove picture' }).click()
    await page.getByText('Picture of Ana Maria Pop removed').first().waitFor()
    await row.locator('[data-agent-avatar] img').first().waitFor({ state: 'detached' })
    assertNoErrors()
    await context.close()

    // The public demo and a phone-sized agents grid draw the same designs.
    const phone = await openPage(ctx, { width: 390, height: 844 })
    await phone.page.goto('/chat-demo')
    await phone.page.getByTestId('demo-banner').waitFor()
    await phone.page.getByLabel('Message', { exact: true }).fill('How do I start with Google Ads?')
    await phone.page.getByRole('button', { name: 'Send', exact: true }).click()
    await phone.page.locator('[data-testid="demo-answer"][data-status="complete"]').first().waitFor({ timeout: 30_000 })
    await assertAvatarsDrawn(phone.page, 1)
    await phone.page.screenshot({ path: ctx.shot('avatars-03-demo-phone') })
    phone.assertNoErrors()
    await phone.context.close()
  },
}

export const avatarsScenarios: Scenario[] = [avatarsEverywhere]
