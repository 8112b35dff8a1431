import { billingErrors, type CsvProblem } from './billing.errors.ts'
import { isRealDay } from './reconciliation.ts'

/** One provider invoice row: what the provider billed for a model on a UTC day. */
export type CostLine = {
  line: number
  day: string
  modelId: string
  costUsdMicro: bigint
  inputTokens: bigint | null
  outputTokens: bigint | null
}

const REQUIRED = ['date', 'model', 'cost_usd']
const OPTIONAL = ['input_tokens', 'output_tokens']
const MAX_ROWS = 50_000
const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/
const USD = /^(\d{1,9})(?:\.(\d{1,12}))?$/
const COUNT = /^\d{1,15}$/

/** Splits CSV text into records (RFC 4180 quoting, CRLF or LF), each with the line it starts on; blank lines are skipped. */
export const splitCsv = (text: string) => {
  const records: { line: number; fields: string[] }[] = []
  const problems: CsvProblem[] = []
  let line = 1,
    start = 1,
    field = '',
    fields: string[] = [],
    quoted = false,
    wasQuoted = false,
    closed = false
  const endField = () => {
    fields.push(wasQuoted ? field : field.trim())
    field = ''
    wasQuoted = false
    closed = false
  }
  const endRecord = () => {
    endField()
    if (fields.length > 1 || fields[0] !== '') records.push({ line: start, fields })
    fields = []
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') {
        quoted = false
        closed = true
      } else {
        if (c === '\n') line++
        field += c
      }
      continue
    }
    if (c === ',') endField()
    else if (c === '\n') {
      endRecord()
      start = ++line
    } else if (c === '\r' && text[i + 1] === '\n') continue
    else if (c === '"' && !closed && field.trim() === '') {
      quoted = true
      wasQuoted = true
      field = ''
    } else if (closed && c.trim() !== '') problems.push({ line, message: 'text after a closing quote' })
    else if (c === '"') problems.push({ line, message: 'a quote inside an unquoted field' })
    else if (!closed) field += c
  }
  if (quoted) problems.push({ line: start, message: 'a quoted field is not closed' })
  else if (fields.length || field.trim() !== '' || wasQuoted) endRecord()
  return { records, problems }
}

/** `12.3456789` USD → micro-USD, half up, without floating point. */
const usdToMicro = (text: string) => {
  const m = USD.exec(text)
  if (!m) return undefined
  const frac = (m[2] ?? '').padEnd(12, '0')
  return BigInt(m[1]!) * 1_000_000n + BigInt(frac.slice(0, 6)) + (frac[6]! >= '5' ? 1n : 0n)
}

/** The catalog id of a provider's model name: `gpt-4o-mini` from openai → `openai:gpt-4o-mini` (an id already prefixed is kept). */
const modelIdOf = (provider: string, model: string): { id: string } | { error: string } => {
  if (!MODEL.test(model)) return { error: `model "${model.slice(0, 60)}" is not a model name` }
  const prefix = model.slice(0, Math.max(0, model.indexOf(':')))
  if (prefix === provider) return { id: model }
  if (/^[a-z-]+$/.test(prefix)) return { error: `model ${model} is not a ${provider} model` }
  return { id: `${provider}:${model}` }
}

/**
 * Validates a provider cost export strictly: a header naming `date`, `model`, `cost_usd` (and optionally
 * `input_tokens`, `output_tokens`) in any order, then one row per UTC day and model, none in the future, none
 * twice. Any problem throws `billing.invalid_csv` with every offending line number; nothing partial comes out.
 */
export const parseCostCsv = (provider: string, csv: string, today: string): CostLine[] => {
  const { records, problems } = splitCsv(csv.replace(/^\uFEFF/, ''))
  if (problems.length) throw billingErrors.invalid_csv({ problems })
  const [header, ...rows] = records
  if (!header) throw billingErrors.invalid_csv({ problems: [{ line: 1, message: 'the CSV is empty' }] })
  const columns = header.fields.map((h) => h.toLowerCase())
  for (const [i, name] of columns.entries()) {
    if (![...REQUIRED, ...OPTIONAL].includes(name))
      problems.push({
        line: header.line,
        message: `unknown column "${name}" (expected ${[...REQUIRED, ...OPTIONAL].join(', ')})`,
      })
    else if (columns.indexOf(name) !== i)
      problems.push({ line: header.line, message: `column "${name}" appears twice` })
  }
  for (const name of REQUIRED)
    if (!columns.includes(name)) problems.push({ line: header.line, message: `missing column "${name}"` })
  if (!rows.length) problems.push({ line: header.line + 1, message: 'no data rows after the header' })
  if (rows.length > MAX_ROWS) problems.push({ line: rows[MAX_ROWS]!.line, message: `more than ${MAX_ROWS} rows` })
  if (problems.length) throw billingErrors.invalid_csv({ problems })

  const lines: CostLine[] = []
  const seen = new Map<string, number>()
  for (const { line, fields } of rows) {
    if (fields.length !== columns.length) {
      problems.push({ line, message: `expected ${columns.length} fields, found ${fields.length}` })
      continue
    }
    const cell = (name: string) => {
      const i = columns.indexOf(name)
      return i < 0 ? '' : fields[i]!
    }
    const fail = (message: string) => {
      problems.push({ line, message })
      return undefined
    }
    const day = cell('date')
    const okDay = !isRealDay(day)
      ? fail(`date "${day}" is not a YYYY-MM-DD day`)
      : day > today
        ? fail(`date ${day} is in the future`)
        : day
    const model = modelIdOf(provider, cell('model'))
    const okModel = 'id' in model ? model.id : fail(model.error)
    const cost = usdToMicro(cell('cost_usd'))
    if (cost === undefined)
      fail(`cost_usd "${cell('cost_usd').slice(0, 30)}" is not a non-negative amount in USD (e.g. 12.50)`)
    const tokens = (name: string) => {
      const v = cell(name)
      if (v === '') return null
      return COUNT.test(v) ? BigInt(v) : fail(`${name} "${v.slice(0, 30)}" is not a whole number`)
    }
    const inputTokens = tokens('input_tokens')
    const outputTokens = tokens('output_tokens')
    if (
      okDay === undefined ||
      okModel === undefined ||
      cost === undefined ||
      inputTokens === undefined ||
      outputTokens === undefined
    )
      continue
    const key = `${okDay} ${okModel}`
    const first = seen.get(key)
    if (first !== undefined) {
      fail(`${okModel} on ${okDay} already appears on line ${first}`)
      continue
    }
    seen.set(key, line)
    lines.push({ line, day: okDay, modelId: okModel, costUsdMicro: cost, inputTokens, outputTokens })
  }
  if (problems.length) throw billingErrors.invalid_csv({ problems })
  return lines
}
