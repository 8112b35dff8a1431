import assert from 'node:assert/strict'
import { minimalPdf } from '../fixtures/knowledge-documents.ts'
import { onboard, type Scenario } from './scenarios.ts'

/**
 * The knowledge base as an agency admin uses it (issue 15 §7): drop a price list PDF and a Markdown policy on the
 * Knowledge page, watch them become ready, search a passage (document and page shown), delete one (it leaves the
 * list and the search).
 */
const uploadSearchDelete: Scenario = {
  name: 'knowledge: upload a price list PDF and a Markdown file → both ready → search shows the passage with its page → delete one',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Knowledge Agency', 'Cafeneaua Verde')
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Knowledge' }).click()
      await page.waitForURL('**/app/knowledge')
      await page.getByText('No documents yet').waitFor()
      await page.getByLabel('Files to add').setInputFiles([
        {
          name: 'price-list.pdf',
          mimeType: 'application/pdf',
          buffer: minimalPdf(['Price list 2026', 'Catering for events from 45 lei per guest.']),
        },
        {
          name: 'delivery.md',
          mimeType: 'text/markdown',
          buffer: Buffer.from('# Delivery\n\nWe deliver within Cluj-Napoca only, between 8:00 and 18:00.\n'),
        },
      ])
      const list = page.getByRole('list', { name: 'Knowledge documents' })
      await list
        .getByRole('listitem')
        .filter({ hasText: 'price-list.pdf' })
        .getByText(/^Ready/)
        .waitFor()
      await list
        .getByRole('listitem')
        .filter({ hasText: 'delivery.md' })
        .getByText(/^Ready/)
        .waitFor()
      await page.screenshot({ path: ctx.shot('knowledge-01-ready'), fullPage: true })

      await page.getByLabel('Search the knowledge base').fill('catering guest')
      const passages = page.getByRole('list', { name: 'Passages' })
      await passages.getByText('price-list.pdf · page 2 · passage 2').waitFor()
      await passages.getByText(/45 lei per guest/).waitFor()
      await page.screenshot({ path: ctx.shot('knowledge-02-search'), fullPage: true })

      await list
        .getByRole('listitem')
        .filter({ hasText: 'delivery.md' })
        .getByRole('button', { name: 'Delete' })
        .click()
      const dialog = page.getByRole('dialog', { name: 'Delete this document?' })
      await dialog.getByRole('button', { name: 'Delete' }).click()
      await dialog.waitFor({ state: 'hidden' })
      await list.getByText('delivery.md').waitFor({ state: 'detached' })
      await page.getByLabel('Search the knowledge base').fill('Cluj delivery')
      await page.getByText('No passage matches “Cluj delivery”.').waitFor()
      assert.equal(await list.getByRole('listitem').count(), 1)
      assertNoErrors()
    } finally {
      await context.close()
    }
  },
}

export const knowledgeScenarios: Scenario[] = [uploadSearchDelete]
