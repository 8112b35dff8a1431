import { describe, expect, it } from 'vitest'
import { readPage, ruleLeads } from './imports.page-read.ts'

describe('reading leads off a page', () => {
  it('reads JSON-LD nodes with a phone or an email, their ContactPoint too, and skips a broken block', () => {
    const page = readPage(`<script type="application/ld+json">[{"@type":"Organization","name":"Acme",
      "contactPoint":{"@type":"ContactPoint","telephone":"+40 721 000 001"}},
      {"@type":"Event","name":"No contact"}]</script><script type="application/ld+json">{oops</script>`)
    expect(page.leads).toEqual([{ name: 'Acme', phone: '+40 721 000 001', email: null, company: 'Acme' }])
  })

  it('reads microdata items, values from content and href, text from nested elements', () => {
    const page = readPage(`<div itemscope itemtype="http://schema.org/LocalBusiness">
      <h2 itemprop="name">Baloane <b>Vesele</b></h2><meta itemprop="telephone" content="0722 000 002">
      <a itemprop="email" href="mailto:hi@baloane.example">write</a></div>`)
    expect(page.leads).toEqual([
      { name: 'Baloane Vesele', phone: '0722 000 002', email: 'hi@baloane.example', company: 'Baloane Vesele' },
    ])
  })

  it('keeps the visible text only, without scripts and styles, and the title', () => {
    const page = readPage('<title>Hi &amp; bye</title><style>a{}</style><p>Call <b>us</b></p><script>x=1</script>')
    expect(page).toEqual({ title: 'Hi & bye', leads: [], text: 'Call us' })
  })

  it('reads a hostile page in linear time: deep nesting, unclosed tags, thousands of itemprops', () => {
    const deep = '<div itemscope><span itemprop="name">'.repeat(20_000) + 'x' + '<a href="tel:'.repeat(20_000)
    const started = performance.now()
    const page = readPage(deep)
    expect(performance.now() - started).toBeLessThan(3_000)
    expect(page.leads.length).toBeLessThanOrEqual(50)
  })

  it('finds phones (in the default country) and emails in text on the offline model', () => {
    const leads = ruleLeads({ title: 'Maria', leads: [], text: 'Sună la 0721 000 333 sau maria@x.example' }, 'RO')
    expect(leads).toEqual([{ name: 'Maria', phone: '+40721000333', email: 'maria@x.example', company: null }])
  })
})
