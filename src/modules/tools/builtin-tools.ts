import { z } from 'zod'
import type { Egress } from '../../platform/egress/egress.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import { htmlToText, PAGE_TEXT_CHARS } from './html-text.ts'
import { defineTool } from './tool-registry.ts'

/** Web pages, fetched only through the egress guard (no private, loopback or metadata addresses). */
export const fetchPageTool = (egress: Egress) =>
  defineTool({
    name: 'fetch_page',
    description: 'Fetch a public web page and return its title and visible text (first 8,000 characters).',
    rule: 'fetch a public web page (e.g. the client site or a competitor) before commenting on it; never guess its content.',
    input: z.object({ url: z.string().url().max(2000) }),
    minRole: 'member',
    async execute({ url }) {
      const res = await egress.request(url, { headers: { accept: 'text/html,text/plain;q=0.9' } })
      const body = res.text()
      const isHtml = (res.headers.get('content-type') ?? '').includes('html')
      const { title, text } = isHtml ? htmlToText(body) : { title: '', text: body.slice(0, PAGE_TEXT_CHARS) }
      return { url: res.url, status: res.status, title, text: text.slice(0, PAGE_TEXT_CHARS) }
    },
  })

/** The client's earlier conversations, searched within the caller's client only. */
export const searchConversationsTool = (search: (scope: ClientScope, q: string) => Promise<unknown>) =>
  defineTool({
    name: 'search_conversations',
    description: "Search this client's earlier conversations and messages.",
    rule: "search this client's earlier conversations when the user refers to something discussed before.",
    input: z.object({ query: z.string().min(2).max(100) }),
    minRole: 'viewer',
    execute: ({ query }, ctx) => search(ctx.scope, query),
  })
