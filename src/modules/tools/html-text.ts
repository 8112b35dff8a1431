/** How much of a fetched page is read, in characters: the tool returns 8 000 of text, pages put theirs early enough. */
export const HTML_READ_CHARS = 512 * 1024
/** Text kept from a page (what the tool returns); reading stops once about twice this was seen. */
export const PAGE_TEXT_CHARS = 8_000

const RAW_TEXT = new Set(['script', 'style', 'noscript', 'template'])
const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" }
// Every pattern here reads forward only and is linear: a page is remote, hostile content.
const TAG_NAME = /^\/?([a-zA-Z][a-zA-Z0-9-]{0,30})/
const ENTITY = /&(#?[a-zA-Z0-9]{1,8});/g

const decode = (text: string) => text.replace(ENTITY, (whole, name: string) => ENTITIES[name.toLowerCase()] ?? whole)

/**
 * A page's title and visible text, in one forward pass over at most `HTML_READ_CHARS` characters with `indexOf`
 * (no pattern over the whole page, which an unclosed `<a` repeated 100 000 times made quadratic): tags are
 * dropped, script/style/noscript/template contents skipped, a few entities decoded, whitespace collapsed.
 */
export const htmlToText = (page: string): { title: string; text: string } => {
  const html = page.slice(0, HTML_READ_CHARS)
  const lower = html.toLowerCase()
  const parts: string[] = []
  let kept = 0
  let title = ''
  let at = 0
  while (at < html.length && kept < PAGE_TEXT_CHARS * 2) {
    const open = html.indexOf('<', at)
    const text = html.slice(at, open === -1 ? html.length : open)
    if (text.trim()) {
      parts.push(text)
      kept += text.length + 1
    }
    if (open === -1) break
    const close = html.indexOf('>', open + 1)
    if (close === -1) break // an unclosed tag runs to the end of the page: nothing visible after it
    const name = TAG_NAME.exec(html.slice(open + 1, open + 33))?.[1]?.toLowerCase()
    at = close + 1
    if (!name || html[open + 1] === '/') continue
    if (name === 'title' && !title) {
      const end = lower.indexOf('</title', at)
      title = decode(html.slice(at, end === -1 ? at : end))
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 300)
      at = end === -1 ? html.length : end
    } else if (RAW_TEXT.has(name)) {
      const end = lower.indexOf(`</${name}`, at)
      at = end === -1 ? html.length : end
    }
  }
  return { title, text: decode(parts.join(' ')).replace(/\s+/g, ' ').trim().slice(0, PAGE_TEXT_CHARS) }
}
