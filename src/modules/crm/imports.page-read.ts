import { Parser } from 'htmlparser2'
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js/max'

/**
 * Reading leads off a web page (issue 14 §8): structured data first — JSON-LD (schema.org Person, Organization,
 * LocalBusiness and any other node with a telephone or an email), microdata (`itemprop` telephone / email / name) and
 * `tel:` / `mailto:` links — in one streaming pass of htmlparser2 (linear; a page is remote, hostile content), which also
 * keeps the page's title and visible text for the model when nothing structured is there.
 */
export type PageLead = { name: string | null; phone: string | null; email: string | null; company: string | null }
export type PageRead = { title: string; leads: PageLead[]; text: string }

/** HTML read from a page, in characters (the egress cap is 2 MiB). */
const READ_CHARS = 1024 * 1024
/** Visible text kept for the model. */
export const PAGE_TEXT_CHARS = 8_000
const MAX_LEADS = 50
const MAX_JSON_LD_CHARS = 256 * 1024
const MAX_PROP_CHARS = 300
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head', 'title'])
// Parts of a contact, not contacts of their own.
const NOT_A_CONTACT = new Set(['ContactPoint', 'PostalAddress', 'GeoCoordinates', 'ImageObject', 'WebSite', 'WebPage'])
const ORGANISATION = /Organization|Corporation|Business|Store|Restaurant|Agency|Company|Shop|Office|Service/i

const clean = (v: string | null | undefined, max = 200) => {
  const t = (v ?? '').replace(/\s+/g, ' ').trim()
  return t ? t.slice(0, max) : null
}
const digits = (phone: string) => phone.replace(/\D/g, '').slice(-9)
const fromTel = (href: string) => {
  try {
    return clean(decodeURIComponent(href.slice(4)).replace(/[^\d+().\s-]/g, ''), 40)
  } catch {
    return null
  }
}
const fromMailto = (href: string) => {
  try {
    return clean(decodeURIComponent(href.slice(7).split('?')[0]!.split(',')[0]!), 254)?.toLowerCase() ?? null
  } catch {
    return null
  }
}

type Json = unknown
const first = (v: Json): string | null => {
  if (typeof v === 'string') return clean(v)
  if (typeof v === 'number') return String(v)
  if (Array.isArray(v)) return v.map(first).find(Boolean) ?? null
  if (v && typeof v === 'object' && 'name' in v) return first((v as { name: Json }).name)
  return null
}
const typesOf = (node: Record<string, Json>) => {
  const t = node['@type']
  return (Array.isArray(t) ? t : [t]).filter((x): x is string => typeof x === 'string')
}

/** The contacts in a JSON-LD value: every node with a phone or an email (its ContactPoint's counts), walked to depth 8. */
const jsonLdLeads = (value: Json, out: PageLead[], depth = 0) => {
  if (depth > 8 || out.length >= MAX_LEADS || !value || typeof value !== 'object') return
  if (Array.isArray(value)) {
    for (const v of value.slice(0, 200)) jsonLdLeads(v, out, depth + 1)
    return
  }
  const node = value as Record<string, Json>
  const types = typesOf(node)
  if (!types.some((t) => NOT_A_CONTACT.has(t))) {
    const point = [node.contactPoint].flat()[0] as Record<string, Json> | undefined
    const phone = first(node.telephone) ?? (point && typeof point === 'object' ? first(point.telephone) : null)
    const email = first(node.email) ?? (point && typeof point === 'object' ? first(point.email) : null)
    if (phone || email) {
      const name = first(node.name) ?? clean([first(node.givenName), first(node.familyName)].filter(Boolean).join(' '))
      const isOrganisation = types.some((t) => ORGANISATION.test(t))
      out.push({
        name,
        phone: clean(phone, 40),
        email: email ? email.replace(/^mailto:/i, '').toLowerCase() : null,
        company: isOrganisation ? name : (first(node.worksFor) ?? first(node.affiliation)),
      })
    }
  }
  for (const [key, v] of Object.entries(node))
    if (key !== 'contactPoint' && key !== 'address' && v && typeof v === 'object') jsonLdLeads(v, out, depth + 1)
}

type Item = { types: string; props: Map<string, string>; parent: Item | null; as: string[] }
type Capture = { item: Item; props: string[]; text: string }
type Open = { item?: Item; capture?: Capture }
/** Open itemprop elements whose text is being read at once: nesting deeper than this is not a contact card. */
const MAX_CAPTURES = 16

/** The page's title, its contacts (structured data only) and its visible text. */
export const readPage = (html: string): PageRead => {
  const jsonLd: string[] = []
  const items: Item[] = []
  const phones: string[] = []
  const emails: string[] = []
  const text: string[] = []
  const stack: Open[] = []
  // Kept apart from the element stack so that no event walks it: the work stays linear in the page's size.
  const scopes: Item[] = []
  const captures: Capture[] = []
  let ldChars = 0
  let textChars = 0
  let title = ''
  let siteName = ''
  let skipping = 0
  let inTitle = false
  let titleDone = false
  let ldScript: string[] | null = null

  const parser = new Parser(
    {
      onopentag(name, a) {
        const open: Open = {}
        if (name === 'script' && (a.type ?? '').toLowerCase().includes('ld+json')) {
          ldScript = []
          ldChars = 0
        }
        if (SKIPPED.has(name)) skipping++
        if (name === 'title') inTitle = !titleDone
        if (name === 'meta' && (a.property === 'og:site_name' || a.name === 'og:site_name'))
          siteName = clean(a.content) ?? ''
        if (name === 'a' && a.href) {
          const href = a.href.trim()
          if (/^tel:/i.test(href)) phones.push(fromTel(href) ?? '')
          else if (/^mailto:/i.test(href)) emails.push(fromMailto(href) ?? '')
        }
        const props = (a.itemprop ?? '').split(/\s+/).filter(Boolean)
        const parent = scopes.at(-1) ?? null
        if ('itemscope' in a) {
          const made: Item = { types: a.itemtype ?? '', props: new Map(), parent, as: props }
          if (items.length < MAX_LEADS * 4) items.push(made)
          open.item = made
          scopes.push(made)
        } else if (props.length && parent) {
          const direct = a.content ?? (name === 'a' || name === 'link' ? a.href : undefined)
          if (direct !== undefined) {
            for (const p of props) if (!parent.props.has(p)) parent.props.set(p, direct)
          } else if (captures.length < MAX_CAPTURES) {
            open.capture = { item: parent, props, text: '' }
            captures.push(open.capture)
          }
        }
        stack.push(open)
      },
      ontext(data) {
        if (ldScript) {
          if (ldChars < MAX_JSON_LD_CHARS) ldScript.push(data)
          ldChars += data.length
          return
        }
        if (inTitle && title.length < 300) title += data
        for (const c of captures) if (c.text.length < MAX_PROP_CHARS) c.text += ` ${data}`
        if (!skipping && textChars < PAGE_TEXT_CHARS * 2 && data.trim()) {
          text.push(data)
          textChars += data.length + 1
        }
      },
      onclosetag(name) {
        if (name === 'script' && ldScript) {
          jsonLd.push(ldScript.join(''))
          ldScript = null
        }
        if (SKIPPED.has(name) && skipping > 0) skipping--
        if (name === 'title' && inTitle) {
          inTitle = false
          titleDone = true
        }
        const open = stack.pop()
        if (!open) return
        if (open.item) scopes.pop()
        if (open.capture) {
          captures.pop()
          const value = clean(open.capture.text, MAX_PROP_CHARS) ?? ''
          for (const p of open.capture.props) if (!open.capture.item.props.has(p)) open.capture.item.props.set(p, value)
        }
        // A nested item standing for its parent's worksFor / affiliation names the parent's company.
        const done = open.item
        if (done?.parent && done.as.some((p) => p === 'worksFor' || p === 'affiliation') && done.props.get('name'))
          done.parent.props.set('worksFor', done.props.get('name')!)
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: false },
  )
  parser.write(html.slice(0, READ_CHARS))
  parser.end()

  const leads: PageLead[] = []
  for (const block of jsonLd) {
    try {
      jsonLdLeads(JSON.parse(block) as Json, leads)
    } catch {
      // A broken JSON-LD block is skipped; the rest of the page still counts.
    }
  }
  for (const it of items) {
    const phone = clean(it.props.get('telephone'), 40)
    const email = clean(it.props.get('email')?.replace(/^mailto:/i, ''), 254)?.toLowerCase() ?? null
    if (!phone && !email) continue
    const name = clean(it.props.get('name')) ?? clean([it.props.get('givenName'), it.props.get('familyName')].join(' '))
    leads.push({
      name,
      phone,
      email,
      company: ORGANISATION.test(it.types) ? name : clean(it.props.get('worksFor')),
    })
  }
  // Links not already on a structured contact: the first phone and the first email are the site's own contact.
  const known = new Set(leads.flatMap((l) => [l.phone ? `p${digits(l.phone)}` : '', l.email ? `e${l.email}` : '']))
  const loosePhones = [...new Set(phones.filter((p) => p && !known.has(`p${digits(p)}`)))]
  const looseEmails = [...new Set(emails.filter((e) => e && !known.has(`e${e}`)))]
  const site = clean(siteName) ?? clean(title)
  while ((loosePhones.length || looseEmails.length) && leads.length < MAX_LEADS)
    leads.push({ name: site, phone: loosePhones.shift() ?? null, email: looseEmails.shift() ?? null, company: null })
  return {
    title: clean(title, 300) ?? '',
    leads: dedupe(leads).slice(0, MAX_LEADS),
    text: clean(text.join(' '), PAGE_TEXT_CHARS) ?? '',
  }
}

/** One lead per phone and per email: a later one that repeats an earlier one's is dropped. */
const dedupe = (leads: PageLead[]) => {
  const seen = new Set<string>()
  return leads.filter((l) => {
    const keys = [l.phone ? `p${digits(l.phone)}` : '', l.email ? `e${l.email}` : ''].filter(Boolean)
    if (keys.some((k) => seen.has(k))) return false
    for (const k of keys) seen.add(k)
    return true
  })
}

const EMAIL = /[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,24}/gi

/**
 * The offline model's pass over a page without structured data (`demo`): the phone numbers libphonenumber finds in
 * the text (in the client's default country) and the email addresses, paired in order, named by the page's title.
 */
export const ruleLeads = (page: PageRead, country: string | null): PageLead[] => {
  const phones = findPhoneNumbersInText(page.text, country ? { defaultCountry: country as CountryCode } : undefined)
    .map((f) => f.number.number as string)
    .slice(0, MAX_LEADS)
  const emails = [...new Set((page.text.match(EMAIL) ?? []).map((e) => e.toLowerCase()))].slice(0, MAX_LEADS)
  const name = clean(page.title)
  const leads: PageLead[] = []
  while ((phones.length || emails.length) && leads.length < MAX_LEADS)
    leads.push({ name, phone: phones.shift() ?? null, email: emails.shift() ?? null, company: null })
  return dedupe(leads)
}
