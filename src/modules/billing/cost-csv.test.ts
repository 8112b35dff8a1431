import { describe, expect, it } from 'vitest'
import type { AppError } from '../../platform/http/errors.ts'
import { parseCostCsv, splitCsv } from './cost-csv.ts'

const TODAY = '2026-03-10'
const problems = (csv: string) => {
  try {
    parseCostCsv('openai', csv, TODAY)
  } catch (err) {
    return ((err as AppError).details as { errors: { line: number; message: string }[] }).errors
  }
  throw new Error('expected the CSV to be refused')
}

describe('splitCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, and numbers records by their first line', () => {
    const { records, problems: found } = splitCsv('a,b\n"x, y","say ""hi""\nthere"\n\nlast,row\n')
    expect(found).toEqual([])
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"\nthere'] },
      { line: 5, fields: ['last', 'row'] },
    ])
  })

  it('reports an unclosed quote and text after a closing quote', () => {
    expect(splitCsv('a\n"open').problems).toEqual([{ line: 2, message: 'a quoted field is not closed' }])
    expect(splitCsv('a\n"x"y').problems).toEqual([{ line: 2, message: 'text after a closing quote' }])
  })
})

describe('parseCostCsv', () => {
  it('converts USD to micro-USD half up without floating point, and prefixes model names with the provider', () => {
    const lines = parseCostCsv(
      'openai',
      '\uFEFFDate,Model,Cost_USD\n2026-03-09,gpt-4o-mini,0.0000005\n2026-03-09,openai:gpt-4.1,123456789.999999\n',
      TODAY,
    )
    expect(lines.map((l) => [l.modelId, l.costUsdMicro])).toEqual([
      ['openai:gpt-4o-mini', 1n],
      ['openai:gpt-4.1', 123_456_789_999_999n],
    ])
  })

  it('refuses impossible and future dates, signs, exponents and another provider’s models', () => {
    expect(
      problems(
        'date,model,cost_usd\n2026-02-29,m,1\n2026-03-11,m,1\n2026-03-01,m,1e3\n2026-03-02,m,+1\n2026-03-03,anthropic:claude,1',
      ).map((p) => p.line),
    ).toEqual([2, 3, 4, 5, 6])
  })

  it('refuses a row with a missing or an extra field', () => {
    expect(problems('date,model,cost_usd\n2026-03-01,m\n2026-03-02,m,1,2')).toEqual([
      { line: 2, message: 'expected 3 fields, found 2' },
      { line: 3, message: 'expected 3 fields, found 4' },
    ])
  })

  it('refuses a header without data rows', () => {
    expect(problems('date,model,cost_usd\n')).toEqual([{ line: 2, message: 'no data rows after the header' }])
  })
})
