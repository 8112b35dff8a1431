import { parse } from 'csv-parse/sync'
import { z } from 'zod'
import { IMPORT_MAX_ROWS, type ImportedLead, type ImportField, type ImportMapping } from '../../../contracts/crm.ts'
import { AppError } from '../../platform/http/errors.ts'
import { crmErrors } from './crm.errors.ts'
import { toE164 } from './phones.ts'

/** Reading a lead file (issue 14 §8): delimiter, header, BOM, a mapping suggested from the headers, rows checked. */

export type Delimiter = ',' | ';' | '\t'
export type RowError = {
  code: 'invalid_phone' | 'phone_needs_country' | 'invalid_email' | 'missing_name' | 'invalid_value'
  message: string
}
export type CheckedRow = { row: number; lead: ImportedLead; errors: RowError[] }

/** The delimiter the header line uses most (outside quotes); a comma when it has none. */
export const detectDelimiter = (csv: string): Delimiter => {
  const counts = { ',': 0, ';': 0, '\t': 0 }
  let quoted = false
  for (const c of csv.replace(/^\uFEFF/, '')) {
    if (c === '"') quoted = !quoted
    else if (!quoted && (c === '\n' || c === '\r')) break
    else if (!quoted && c in counts) counts[c as Delimiter]++
  }
  const best = (Object.entries(counts) as [Delimiter, number][]).sort((a, b) => b[1] - a[1])[0]!
  return best[1] > 0 ? best[0] : ','
}

/** The file's header and rows (line numbers as the file counts them, the header being line 1). Empty rows skipped. */
export const readCsv = (csv: string, delimiter: Delimiter = detectDelimiter(csv)) => {
  let records: { record: string[]; info: { lines: number } }[]
  try {
    records = parse(csv, {
      delimiter,
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      trim: true,
      // One more than allowed (with the header): enough to tell a file is too long without reading all of it.
      to: IMPORT_MAX_ROWS + 2,
    }) as never
  } catch (err) {
    throw crmErrors.import_unreadable({ reason: err instanceof Error ? err.message : String(err) })
  }
  const [header, ...rows] = records
  if (!header || header.record.every((h) => !h)) throw crmErrors.import_unreadable({ reason: 'the file is empty' })
  if (rows.length > IMPORT_MAX_ROWS) throw crmErrors.import_too_many_rows({ max: IMPORT_MAX_ROWS })
  return {
    delimiter,
    headers: header.record,
    rows: rows.map((r) => ({ line: r.info.lines, cells: r.record })),
  }
}

/** Header names (lowercase, without diacritics or punctuation) that suggest each field, in English and Romanian. */
const SYNONYMS: Record<ImportField, string[]> = {
  name: [
    'name',
    'full name',
    'fullname',
    'contact',
    'contact name',
    'nume',
    'nume complet',
    'nume si prenume',
    'client',
  ],
  phone: ['phone', 'phone number', 'mobile', 'tel', 'telephone', 'telefon', 'nr telefon', 'numar telefon', 'mobil'],
  email: ['email', 'e mail', 'mail', 'email address', 'adresa email', 'adresa de email'],
  tags: ['tags', 'tag', 'labels', 'etichete', 'eticheta'],
  company: ['company', 'organisation', 'organization', 'firma', 'companie', 'societate', 'organizatie'],
  dealTitle: ['deal', 'deal title', 'deal name', 'title', 'oportunitate', 'titlu', 'titlu oportunitate', 'subiect'],
  dealValue: ['value', 'deal value', 'amount', 'valoare', 'suma', 'buget', 'budget', 'pret', 'price'],
}
const fold = (h: string) =>
  h
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()

/** The mapping the headers suggest: each field to the first header among its names, no header used twice. */
export const suggestMapping = (headers: string[]): ImportMapping => {
  const out: ImportMapping = {}
  const used = new Set<string>()
  for (const [field, names] of Object.entries(SYNONYMS) as [ImportField, string[]][]) {
    const header = headers.find((h) => h && !used.has(h) && names.includes(fold(h)))
    if (header) {
      out[field] = header
      used.add(header)
    }
  }
  return out
}

/** A mapping that names a column the file does not have is refused, naming it. */
export const checkMapping = (mapping: ImportMapping, headers: string[]) => {
  for (const column of Object.values(mapping))
    if (column && !headers.includes(column)) throw crmErrors.import_unknown_column({ column })
}

const EmailCheck = z.email()
const MAX_TAGS = 20

/** "1.234,50", "1,234.50", "1234" or "1 234 lei" in minor units; null when empty, undefined when unreadable. */
export const readMoney = (raw: string): number | null | undefined => {
  const text = raw.replace(/[^\d.,-]/g, '')
  if (!text) return raw.trim() ? undefined : null
  const lastSep = Math.max(text.lastIndexOf(','), text.lastIndexOf('.'))
  const decimals = lastSep >= 0 && /^\d{1,2}$/.test(text.slice(lastSep + 1)) ? text.slice(lastSep + 1) : ''
  const whole = (decimals ? text.slice(0, lastSep) : text).replace(/[.,]/g, '')
  if (!/^\d{1,13}$/.test(whole)) return undefined
  return Number(whole) * 100 + Number(decimals.padEnd(2, '0'))
}

/** A row read through the mapping and checked; its phone in E.164 (the client's default country), its email lowercase. */
export const checkRow = (
  line: number,
  cells: string[],
  headers: string[],
  mapping: ImportMapping,
  country: string | null,
): CheckedRow => {
  const cell = (field: ImportField) => {
    const column = mapping[field]
    const value = column === undefined ? '' : (cells[headers.indexOf(column)] ?? '').trim()
    return value || null
  }
  const errors: RowError[] = []
  let phone = cell('phone')
  if (phone) {
    try {
      phone = toE164(phone, country)
    } catch (err) {
      const code =
        err instanceof AppError && err.code === 'crm.phone_needs_country' ? 'phone_needs_country' : 'invalid_phone'
      errors.push({ code, message: err instanceof Error ? err.message : String(err) })
    }
  }
  let email = cell('email')?.toLowerCase() ?? null
  if (email && (!EmailCheck.safeParse(email).success || email.length > 254)) {
    errors.push({ code: 'invalid_email', message: `"${email}" is not an email address.` })
    email = null
  }
  const name = cell('name')?.slice(0, 200) ?? null
  if (!name && !cell('phone') && !cell('email'))
    errors.push({ code: 'missing_name', message: 'The row has no name, phone or email.' })
  const rawValue = cell('dealValue')
  const dealValueMinor = rawValue === null ? null : readMoney(rawValue)
  if (dealValueMinor === undefined)
    errors.push({ code: 'invalid_value', message: `"${rawValue}" is not an amount (write it like 1250 or 1.250,50).` })
  const tags = [
    ...new Set(
      (cell('tags') ?? '')
        .split(/[,;|]/)
        .map((t) => t.trim().slice(0, 32))
        .filter(Boolean),
    ),
  ].slice(0, MAX_TAGS)
  return {
    row: line,
    lead: {
      name,
      phone,
      email,
      tags,
      company: cell('company')?.slice(0, 200) ?? null,
      dealTitle: cell('dealTitle')?.slice(0, 200) ?? null,
      dealValueMinor: dealValueMinor ?? null,
    },
    errors,
  }
}

/** The keys a lead is de-duplicated on: its E.164 phone and its lowercased email. */
export const keysOf = (lead: ImportedLead) => [
  ...(lead.phone ? [`phone:${lead.phone}`] : []),
  ...(lead.email ? [`email:${lead.email}`] : []),
]
