import type { MessagePart } from '../../../../contracts/chat.ts'
import { cx } from '../../lib/cx.ts'

type ToolCall = Extract<MessagePart, { type: 'tool-call' }>
type ToolResult = Extract<MessagePart, { type: 'tool-result' }>
type Handoff = Extract<MessagePart, { type: 'handoff' }>
type Card = { kind: 'tool'; call: ToolCall; result: ToolResult | undefined } | { kind: 'handoff'; part: Handoff }

const LABELS: Record<string, string> = {
  fetch_page: 'Read a web page',
  search_conversations: 'Searched past conversations',
  handoff: 'Hand-off',
  ads_report: 'Google Ads report',
  analytics_report: 'GA4 report',
  search_knowledge: 'Searched the knowledge base',
}
const SUMMARY_KEYS = ['url', 'query', 'q', 'agentId']

const clip = (s: string, max = 90) => (s.length > max ? `${s.slice(0, max - 1)}…` : s)

/** The one input worth showing: the URL of fetch_page, the query of a search, else compact JSON. */
export const summarizeInput = (input: unknown): string => {
  if (input === null || input === undefined) return ''
  if (typeof input !== 'object') return clip(String(input))
  const record = input as Record<string, unknown>
  for (const key of SUMMARY_KEYS) if (typeof record[key] === 'string' && record[key]) return clip(record[key])
  try {
    return clip(JSON.stringify(input))
  } catch {
    return ''
  }
}

/** Each tool call with its result (matched by id), and the hand-offs, in order. */
const toCards = (parts: MessagePart[]): Card[] => {
  const results = new Map(parts.filter((p): p is ToolResult => p.type === 'tool-result').map((p) => [p.toolCallId, p]))
  const handedOff = parts.some((p) => p.type === 'handoff')
  const cards: Card[] = []
  for (const p of parts) {
    if (p.type === 'handoff') cards.push({ kind: 'handoff', part: p })
    if (p.type !== 'tool-call') continue
    const result = results.get(p.toolCallId)
    // A hand-off that worked has its own card; only a pending or refused one shows as a tool call.
    if (p.toolName === 'handoff' && handedOff && result && !result.error) continue
    cards.push({ kind: 'tool', call: p, result })
  }
  return cards
}

type KnowledgeSource = {
  documentId: string
  document: string
  page: number | null
  passage: number
  url: string | null
}

/** The passages `search_knowledge` returned, as the answer cites them: document, page (or passage). */
export const knowledgeSources = (output: unknown): KnowledgeSource[] => {
  const passages = (output as { passages?: unknown } | null | undefined)?.passages
  if (!Array.isArray(passages)) return []
  return passages.filter(
    (p): p is KnowledgeSource =>
      typeof p === 'object' && p !== null && typeof (p as KnowledgeSource).document === 'string',
  )
}

const sourceLabel = (s: KnowledgeSource) =>
  `${s.document} · ${s.page !== null && s.page !== undefined ? `page ${s.page}` : `passage ${s.passage}`}`

function ToolCard({ call, result, streaming }: { call: ToolCall; result: ToolResult | undefined; streaming: boolean }) {
  const summary = summarizeInput(call.input)
  const state = result ? (result.error ? 'failed' : 'done') : streaming ? 'running' : 'no result'
  return (
    <li
      data-testid="tool-card"
      data-status={state}
      className="rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-xs text-slate-700"
    >
      <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
        <span aria-hidden="true">🔧</span>
        <span className="font-medium text-slate-900">{LABELS[call.toolName] ?? 'Tool'}</span>
        <code className="rounded bg-white px-1 py-0.5 text-[0.7rem] text-slate-600">{call.toolName}</code>
        {summary && (
          <span className="min-w-0 truncate text-slate-600" title={summary}>
            {summary}
          </span>
        )}
        <span
          className={cx(
            'ml-auto rounded-full px-2 py-0.5 font-medium',
            state === 'done'
              ? 'bg-green-100 text-green-800'
              : state === 'failed'
                ? 'bg-red-100 text-red-800'
                : 'bg-slate-200 text-slate-700',
          )}
        >
          {state === 'running' ? 'running…' : state}
        </span>
      </div>
      {result?.error && <p className="mt-1 text-red-800">{result.error}</p>}
      {call.toolName === 'search_knowledge' && result && !result.error && (
        <ul aria-label="Sources" className="mt-1 space-y-0.5 text-slate-600">
          {knowledgeSources(result.output).map((s) => (
            <li key={`${s.documentId}:${s.passage}`} data-testid="knowledge-source">
              <span aria-hidden="true">📄 </span>
              {s.url ? (
                <a href={s.url} target="_blank" rel="noreferrer" className="underline">
                  {sourceLabel(s)}
                </a>
              ) : (
                sourceLabel(s)
              )}
            </li>
          ))}
        </ul>
      )}
    </li>
  )
}

/** Small cards above an answer: the tools it used and the hand-offs it made. */
export function MessageParts({ parts, streaming }: { parts: MessagePart[]; streaming: boolean }) {
  const cards = toCards(parts)
  if (cards.length === 0) return null
  return (
    <ul aria-label="Tools used" className="mb-3 space-y-1.5">
      {cards.map((c, i) =>
        c.kind === 'tool' ? (
          <ToolCard key={c.call.toolCallId} call={c.call} result={c.result} streaming={streaming} />
        ) : (
          <li
            key={`handoff-${i}`}
            data-testid="handoff-card"
            className="rounded-md border border-indigo-200 bg-indigo-50 px-3 py-2 text-sm text-indigo-900"
          >
            <span aria-hidden="true">↪ </span>Handed off to <strong className="font-semibold">{c.part.toName}</strong>:{' '}
            {c.part.reason}
          </li>
        ),
      )}
    </ul>
  )
}
