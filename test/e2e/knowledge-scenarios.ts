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

/** The walkthrough's question: no word in common with the price list's passage, only its meaning. */
const BANQUET_QUESTION = 'What does a banquet cost per attendee?'
const BANQUET_QUERY = 'banquet fee attendee'

type ChatBody = Record<string, unknown>
const messagesOf = (body: ChatBody) => (body.messages ?? []) as { role: string; content: unknown }[]
const textOf = (content: unknown) =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((p: { text?: string }) => p.text ?? '').join('')
      : ''
const asksAboutBanquets = (body: ChatBody) =>
  textOf(messagesOf(body).findLast((m) => m.role === 'user')?.content).includes(BANQUET_QUESTION)

/**
 * How the priced server's fake OpenAI answers the walkthrough (run.ts spreads this into its options), as a model
 * would: asked about banquets, it calls `search_knowledge`; given the passages, it answers from the first one and
 * cites it as the tool's rule asks, `[document, p. N]`. Any other conversation gets the fake's usual answer.
 */
export const knowledgeChatScript = {
  toolCallsFor: (body: ChatBody) =>
    asksAboutBanquets(body)
      ? [{ id: 'call_kb', name: 'search_knowledge', arguments: JSON.stringify({ query: BANQUET_QUERY }) }]
      : [],
  reply: (body: ChatBody) => {
    if (!asksAboutBanquets(body)) return undefined
    const result = messagesOf(body).findLast((m) => m.role === 'tool')
    if (!result) return 'Let me look that up.'
    const { passages } = JSON.parse(textOf(result.content)) as {
      passages: { document: string; page: number | null; passage: number; text: string }[]
    }
    const top = passages[0]
    if (!top) return 'The knowledge base does not say.'
    const sentence = top.text.split(/(?<=\.)\s+/).find((t) => /per guest/.test(t)) ?? top.text.slice(0, 120)
    return `${sentence} [${top.document}, p. ${top.page ?? top.passage}]`
  },
}

/**
 * The agent answers from a PDF (issue 15 §7), on the server with a (fake) OpenAI: embeddings make the search find
 * the price list's passage by meaning ("banquet fee attendee" shares no word with "Catering … 45 lei per guest"); in
 * chat the agent calls `search_knowledge`, the tool card lists the source it read, the answer cites document and page.
 */
const agentAnswersFromPdf: Scenario = {
  name: 'knowledge: an agent answers a question from an uploaded price list PDF, found by meaning, citing document and page',
  async run(ctx) {
    const { page, context, assertNoErrors } = await onboard(ctx, 'Answers Agency', 'Cafeneaua Verde')
    try {
      await page.goto('/app/knowledge')
      await page.getByLabel('Files to add').setInputFiles([
        {
          name: 'price-list.pdf',
          mimeType: 'application/pdf',
          buffer: minimalPdf(['Price list 2026', 'Espresso 12 lei. Catering for events from 45 lei per guest.']),
        },
      ])
      await page
        .getByRole('list', { name: 'Knowledge documents' })
        .getByRole('listitem')
        .filter({ hasText: 'price-list.pdf' })
        .getByText(/^Ready/)
        .waitFor()
      await page.getByLabel('Search the knowledge base').fill(BANQUET_QUERY)
      const passages = page.getByRole('list', { name: 'Passages' })
      await passages.getByText('price-list.pdf · page 2 · passage 2').waitFor()
      await page.getByTestId('search-mode').getByText('Matched by words and by meaning').waitFor()
      await page.screenshot({ path: ctx.shot('knowledge-03-by-meaning'), fullPage: true })

      await page.goto('/app')
      await page.getByRole('button', { name: 'Chat with PPC Specialist' }).click()
      await page.waitForURL('**/app/chat/**')
      await page.getByLabel('Message', { exact: true }).fill(BANQUET_QUESTION)
      await page.getByRole('button', { name: 'Send', exact: true }).click()
      const answer = page.locator('[data-testid="assistant-message"][data-status="complete"]').last()
      await answer.waitFor({ timeout: 30_000 })
      const tool = answer.getByTestId('tool-card').filter({ hasText: 'Searched the knowledge base' })
      await tool.getByText(BANQUET_QUERY).waitFor()
      await tool.getByRole('list', { name: 'Sources' }).getByText('price-list.pdf · page 2').waitFor()
      await answer.getByText(/45 lei per guest\. \[price-list\.pdf, p\. 2\]/).waitFor()
      await page.screenshot({ path: ctx.shot('knowledge-04-answer-cites'), fullPage: true })
      assertNoErrors()
    } finally {
      await context.close()
    }
  },
}

export const knowledgeScenarios: Scenario[] = [uploadSearchDelete]
/** On the priced server (a fake OpenAI with embeddings, whose chat follows `knowledgeChatScript`). */
export const knowledgePricedScenarios: Scenario[] = [agentAnswersFromPdf]
