import type { ReactNode } from 'react'

type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'paragraph'; text: string }

/** Splits markdown into headings, `- ` lists and blank-line separated paragraphs. Everything else is text. */
export const parseMarkdown = (source: string): Block[] => {
  const blocks: Block[] = []
  let paragraph: string[] = []
  let list: string[] | null = null
  const flush = () => {
    if (paragraph.length) blocks.push({ kind: 'paragraph', text: paragraph.join(' ') })
    if (list) blocks.push({ kind: 'list', items: list })
    paragraph = []
    list = null
  }
  for (const raw of source.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trim()
    const heading = /^(#{1,3})\s+(.*)$/.exec(line)
    if (!line) {
      flush()
    } else if (heading) {
      flush()
      blocks.push({ kind: 'heading', level: heading[1]!.length as 1 | 2 | 3, text: heading[2]! })
    } else if (/^[-*]\s+/.test(line)) {
      if (paragraph.length) flush()
      list ??= []
      list.push(line.replace(/^[-*]\s+/, ''))
    } else if (list && raw.startsWith('  ')) {
      list[list.length - 1] += ` ${line}`
    } else {
      if (list) flush()
      paragraph.push(line)
    }
  }
  flush()
  return blocks
}

/** `**bold**` only; the rest stays plain text (React escapes it). */
const inline = (text: string): ReactNode[] =>
  text
    .split(/(\*\*[^*]+\*\*)/g)
    .filter(Boolean)
    .map((part, i) =>
      part.startsWith('**') && part.endsWith('**') && part.length > 4 ? (
        <strong key={i}>{part.slice(2, -2)}</strong>
      ) : (
        part
      ),
    )

const HEADING_CLASS = {
  1: 'mt-8 text-xl font-semibold text-slate-900',
  2: 'mt-6 text-lg font-semibold text-slate-900',
  3: 'mt-4 font-semibold text-slate-900',
} as const

/** Renders a small markdown subset as React elements; `#` maps to h2 because the page owns the h1. */
export function Markdown({ source }: { source: string }) {
  return (
    <div className="space-y-3 leading-relaxed text-slate-700">
      {parseMarkdown(source).map((block, i) => {
        if (block.kind === 'heading') {
          const Tag = (['h2', 'h3', 'h4'] as const)[block.level - 1]!
          return (
            <Tag key={i} className={HEADING_CLASS[block.level]}>
              {inline(block.text)}
            </Tag>
          )
        }
        if (block.kind === 'list') {
          return (
            <ul key={i} className="list-disc space-y-1 pl-6">
              {block.items.map((item, j) => (
                <li key={j}>{inline(item)}</li>
              ))}
            </ul>
          )
        }
        return <p key={i}>{inline(block.text)}</p>
      })}
    </div>
  )
}
