import { describe, expect, it } from 'vitest'
import { HTML_READ_CHARS, htmlToText, PAGE_TEXT_CHARS } from './html-text.ts'

describe('htmlToText', () => {
  it('keeps the title and visible text, without tags, scripts, styles or entities', () => {
    const page =
      '<html><head><title>Acme &amp; Co</title><style>p{color:red}</style></head>' +
      '<body><h1 class="x">Spring&nbsp;sale</h1><script>var a = "<p>not text</p>"</script><p>Up to 30% &lt;off&gt;</p></body></html>'
    expect(htmlToText(page)).toEqual({ title: 'Acme & Co', text: 'Spring sale Up to 30% <off>' })
  })

  it('reads no further than HTML_READ_CHARS of a page', () => {
    const page = `<p>${'word '.repeat(HTML_READ_CHARS / 10)}</p>${' '.repeat(HTML_READ_CHARS)}<title>Late</title><p>beyond the cap</p>`
    const { title, text } = htmlToText(page)
    expect(title).toBe('')
    expect(text).not.toContain('beyond the cap')
  })

  it('keeps at most the text the tool returns, whatever the page holds', () => {
    const { text } = htmlToText('<a>link text</a> '.repeat(100_000))
    expect(text.length).toBe(PAGE_TEXT_CHARS)
  })

  it('treats 100 000 unclosed "<a" as one unfinished tag: no text, one pass', () => {
    expect(htmlToText('<p>before</p>' + '<a'.repeat(100_000))).toEqual({ title: '', text: 'before' })
    expect(htmlToText('<script>' + '<script'.repeat(100_000))).toEqual({ title: '', text: '' })
    expect(htmlToText('<title>' + '<title'.repeat(100_000)).title).toBe('')
  })
})
