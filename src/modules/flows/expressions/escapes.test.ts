import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../../platform/http/errors.ts'
import { createExpressionPool, type ExpressionPool } from './pool.ts'

let pool: ExpressionPool
beforeAll(() => {
  pool = createExpressionPool({ size: 1 })
})
afterAll(() => pool.close())

const input = { a: { b: 1 }, s: 'x' }

/** What an escape attempt gave: a value that crossed back as JSON, or the code of the error it raised. */
const attempt = (source: string, data: unknown = input) =>
  pool.evaluate(source, data, { node: { A: { v: 1 } } }).then(
    (value) => ({ value }),
    (error: unknown) => ({ code: error instanceof AppError ? error.code : `not an AppError: ${String(error)}` }),
  )

describe('known escapes', () => {
  it.each([
    'constructor',
    '$$.constructor',
    'a.constructor.constructor',
    '$string.constructor',
    "$lookup($, 'constructor')",
    'a.__proto__',
    'process',
    'require',
    '$process',
    '$process.exit(1)',
    '$node.A.constructor',
    'a.b.toString',
  ])('%s gives undefined', async (source) => {
    expect(await attempt(source)).toEqual({ value: undefined })
  })

  it.each(["$require('fs')", "$eval('1')", "$eval('$string(1)')", '$fetch("http://127.0.0.1")'])(
    '%s is an expression error',
    async (source) => {
      expect(await attempt(source)).toEqual({ code: 'flows.expression_failed' })
    },
  )

  it.each(['function($x){$x}', '$string', '{"f": function($x){$x}}', '[1, $uppercase]', '/a+/'])(
    'returning a function (%s) is an error, never a value',
    async (source) => {
      expect(await attempt(source)).toEqual({ code: 'flows.expression_failed' })
    },
  )

  it('turns a function into an empty string when it is stringified', async () => {
    expect(await attempt('$string(function($x){$x})')).toEqual({ value: '' })
  })

  it('keeps prototype keys in the input as plain data, polluting nothing', async () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}}')
    const merged = await attempt('$merge([{}, $])', hostile)
    expect(merged).toEqual({
      value: JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}}'),
    })
    expect(await attempt('$.__proto__.polluted', hostile)).toEqual({ value: 1 })
    expect(await attempt('{}.polluted', hostile)).toEqual({ value: undefined })
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
    // and in the process that ran it, the next call sees a clean prototype
    expect(await attempt('[{}.polluted, {}.prototype]', {})).toEqual({ value: [] })
  })

  it('cannot read the environment of the server', async () => {
    expect(await attempt('$env')).toEqual({ value: undefined })
    expect(await attempt('$$.process.env')).toEqual({ value: undefined })
  })
})
