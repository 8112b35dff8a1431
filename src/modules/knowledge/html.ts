import { Parser } from 'htmlparser2'
import type { Section } from './extract.protocol.ts'

const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head', 'iframe', 'object'])
const BLOCKS = new Set([
  'p',
  'div',
  'br',
  'li',
  'tr',
  'section',
  'article',
  'header',
  'footer',
  'main',
  'aside',
  'nav',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'table',
  'ul',
  'ol',
  'dl',
  'dt',
  'dd',
  'hr',
  'figure',
])

/**
 * A page's title and visible text, paragraphs kept as blank-line-separated blocks (passages cut at them). htmlparser2
 * reads in one forward pass, decodes entities and tolerates broken markup; the page is remote, hostile content, so this
 * runs in the reader's child process with its deadline and memory cap.
 */
export const htmlSections = (html: string): { title: string; sections: Section[] } => {
  let title = ''
  let inTitle = false
  let skipping = 0
  const out: string[] = []
  const parser = new Parser(
    {
      onopentagname(name) {
        if (SKIPPED.has(name)) skipping++
        else if (name === 'title') inTitle = true
        if (BLOCKS.has(name)) out.push('\n\n')
      },
      onclosetag(name) {
        if (SKIPPED.has(name)) skipping = Math.max(0, skipping - 1)
        else if (name === 'title') inTitle = false
        if (BLOCKS.has(name)) out.push('\n\n')
      },
      ontext(text) {
        if (inTitle) title += text
        else if (!skipping) out.push(text)
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  )
  parser.write(html)
  parser.end()
  const text = out
    .join('')
    .split(/\n\s*\n/)
    .map((block) => block.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n\n')
  return { title: title.replace(/\s+/g, ' ').trim().slice(0, 200), sections: [{ page: null, text }] }
}
