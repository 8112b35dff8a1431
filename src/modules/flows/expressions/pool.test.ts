import { monitorEventLoopDelay } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../../platform/http/errors.ts'
import { isSimple } from './evaluate.ts'
import { createExpressionPool, type ExpressionPool } from './pool.ts'

let pool: ExpressionPool
beforeAll(() => {
  pool = createExpressionPool()
})
afterAll(() => pool.close())

const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    (value) => ({ resolved: value }),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

describe('values', () => {
  it('computes arithmetic and paths on the input', async () => {
    expect(await pool.evaluate('a + 1', { a: 1 }, {})).toBe(2)
    expect(await pool.evaluate('order.items[price > 10].name', json, {})).toEqual(['b', 'c'])
    expect(await pool.evaluate('$sum(order.items.price)', json, {})).toBe(55)
  })

  it('reads bindings as $ variables', async () => {
    const bindings = {
      node: { Fetch: { status: 200 } },
      trigger: { body: { email: 'Ann@Example.com' } },
      run: { id: 'run_1' },
    }
    expect(await pool.evaluate('$node.Fetch.status', null, bindings)).toBe(200)
    expect(await pool.evaluate('$lowercase($trigger.body.email)', null, bindings)).toBe('ann@example.com')
    expect(await pool.evaluate('$run.id & "/" & $now', null, { ...bindings, now: '2026-12-03T10:00:00.000Z' })).toBe(
      'run_1/2026-12-03T10:00:00.000Z',
    )
  })

  it('runs string functions, $count and conditionals', async () => {
    expect(await pool.evaluate('$uppercase($substring(s, 0, 3)) & $string($length(s))', { s: 'hello' }, {})).toBe(
      'HEL5',
    )
    expect(await pool.evaluate('$count(order.items)', json, {})).toBe(3)
    expect(await pool.evaluate('$count(order.items) > 2 ? "many" : "few"', json, {})).toBe('many')
  })

  it('gives undefined for no match, and keeps it distinct from null', async () => {
    expect(await pool.evaluateMany(['missing', 'n', '[missing, 1]'], { n: null }, {})).toEqual([undefined, null, [1]])
  })

  it('returns evaluateMany results in the order of the sources', async () => {
    const sources = Array.from({ length: 20 }, (_, i) => `a * ${i}`)
    expect(await pool.evaluateMany(sources, { a: 3 }, {})).toEqual(sources.map((_, i) => 3 * i))
    expect(await pool.evaluateMany([], { a: 3 }, {})).toEqual([])
  })

  it('says which expression of a batch failed', async () => {
    const error = await failure(pool.evaluateMany(['1', '$error("no")', '3'], {}, {}))
    expect(error.code).toBe('flows.expression_failed')
    expect(error.message).toContain('no')
    expect(error.details).toMatchObject({ index: 1 })
  })
})

describe('check', () => {
  it('gives null for a valid expression and a message with the position for a broken one', () => {
    expect(pool.check('$count(order.items) > 2 ? "many" : "few"')).toBeNull()
    expect(pool.check('$$$(')).toMatch(/position \d+/)
    expect(pool.check('a.'.repeat(6000))).toMatch(/over 10000 characters/)
  })
})

describe('bounds', () => {
  it('stops a catastrophic regex at the deadline while the event loop keeps answering', async () => {
    const lag = monitorEventLoopDelay({ resolution: 10 })
    lag.enable()
    const error = await failure(pool.evaluate('$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)', {}, {}))
    lag.disable()
    // Without the deadline this runs for minutes; the pool's process is killed instead, and this one never waits.
    expect(error.code).toBe('flows.expression_timeout')
    expect(lag.max / 1e6).toBeLessThan(250)
    expect(await pool.evaluate('1 + 1', {}, {})).toBe(2)
  })

  it('bounds a huge $pad and a huge range, then still works', async () => {
    const pad = await failure(pool.evaluate("$pad('x', 50000000)", {}, {}))
    expect(['flows.expression_too_large', 'flows.expression_timeout']).toContain(pad.code)
    const range = await failure(pool.evaluate('[1..100000000]', {}, {}))
    expect(['flows.expression_too_large', 'flows.expression_timeout']).toContain(range.code)
    const sequence = await failure(pool.evaluate('[1..200000]', {}, {}))
    expect(sequence.code).toBe('flows.expression_too_large')
    expect(await pool.evaluate('1 + 1', {}, {})).toBe(2)
  })

  // On worker threads this expression aborted the whole test process (V8 fatal OOM, nodejs/node#47224).
  it('survives an expression that exhausts the heap in one native call, and replaces the process', async () => {
    const big = createExpressionPool({ size: 1, hardTimeoutMs: 10_000 })
    try {
      const error = await failure(big.evaluate('$base64encode($pad("x", 90000000))', {}, {}))
      expect(error.code).toBe('flows.expression_too_large')
      expect(error.message).toMatch(/memory/)
      expect(await big.evaluate('1 + 1', {}, {})).toBe(2)
    } finally {
      await big.close()
    }
  })

  it('refuses input and output over maxBytes', async () => {
    const small = createExpressionPool({ size: 1, maxBytes: 1000 })
    try {
      const input = await failure(small.evaluate('$', { s: 'x'.repeat(2000) }, {}))
      expect(input.code).toBe('flows.expression_too_large')
      const bindings = await failure(small.evaluate('1', {}, { node: { s: 'x'.repeat(2000) } }))
      expect(bindings.code).toBe('flows.expression_too_large')
      const output = await failure(small.evaluate("$pad('x', 2000)", {}, {}))
      expect(output.code).toBe('flows.expression_too_large')
      const batch = await failure(small.evaluateMany(["$pad('x', 600)", "$pad('y', 600)"], {}, {}))
      expect(batch.code).toBe('flows.expression_too_large')
      expect(await small.evaluate("$pad('x', 900)", {}, {})).toHaveLength(900)
    } finally {
      await small.close()
    }
  })

  it('refuses a source over 10,000 characters without evaluating it', async () => {
    const error = await failure(pool.evaluate(`1${' + 1'.repeat(3000)}`, {}, {}))
    expect(error.code).toBe('flows.expression_too_large')
  })

  it('gives a clean error for input nested 10,000 deep', async () => {
    let deep: Record<string, unknown> = {}
    const root = deep
    for (let i = 0; i < 10_000; i++) deep = (deep as { a: Record<string, unknown> }).a = {}
    const error = await failure(pool.evaluate('a.a.a', root, {}))
    expect(['flows.expression_too_large', 'flows.expression_failed']).toContain(error.code)
    expect(await pool.evaluate('1 + 1', {}, {})).toBe(2)
  })

  it('answers the next call after a timeout kill, on a fresh process', async () => {
    const one = createExpressionPool({ size: 1, hardTimeoutMs: 200 })
    try {
      const runaway = one.evaluate('$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)', {}, {})
      const queued = one.evaluate('x * 2', { x: 21 }, {})
      expect((await failure(runaway)).code).toBe('flows.expression_timeout')
      expect(await queued).toBe(42)
    } finally {
      await one.close()
    }
  })

  it('resolves 50 concurrent evaluations correctly', async () => {
    const calls = Array.from({ length: 50 }, (_, i) => pool.evaluate('n * n + $k', { n: i }, { k: 1 }))
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 50 }, (_, i) => i * i + 1))
  })

  it('rejects calls after close', async () => {
    const closing = createExpressionPool({ size: 1 })
    expect(await closing.evaluate('1', {}, {})).toBe(1)
    await closing.close()
    expect((await failure(closing.evaluate('1', {}, {}))).code).toBe('flows.expression_failed')
  })
})

describe('simple expressions on the main thread', () => {
  it('classifies only paths, literals, arithmetic, comparisons and conditionals as simple', () => {
    for (const source of [
      'body.a + body.b',
      'total > 10',
      '$node.Set.total',
      '(a + b) * -2',
      'a ? "x" : b & "y"',
      '$',
      '$$.a',
      'a.`b c` = null and c != true',
    ])
      expect(isSimple(source), source).toBe(true)
    for (const source of [
      '$sum(a)',
      'a[x > 1]',
      'a.b[0]',
      'a in [1, 2]',
      '[1..3]',
      '{"x": a}',
      'a.*',
      '**.a',
      '$match(a, /b+/)',
      'function($x){$x}(1)',
      '$x := 1',
      'a ~> $string',
      'a{b: c}',
      'a^(b)',
      'x +',
      Array.from({ length: 40 }, (_, i) => `a${i}`).join(' + '),
    ])
      expect(isSimple(source), source).toBe(false)
  })

  it('gives exactly what the sandbox gives, values and errors alike', async () => {
    const sandboxed = createExpressionPool({ size: 1, inProcessMaxBytes: -1 })
    try {
      const input = { body: { a: 4, b: 7, s: 'x', list: [1, 2, 3], rows: [{ v: 1 }, { v: 2 }] }, total: 11 }
      const bindings = { node: { Set: { total: 11 } }, trigger: { body: { a: 4 } }, run: { id: 'run_1' } }
      const sources = [
        'body.a + body.b',
        'total > 10',
        '$node.Set.total * 2',
        'body.rows.v',
        'body.missing',
        'body.s & body.a',
        'body.a / 0',
        '-body.a % 3',
        'body.list = 1',
        '$trigger.body.a = 4 ? "yes" : "no"',
        '$run.id',
        'body.s + 1',
        'body.list + 1',
        '$',
      ]
      for (const source of sources) {
        const [here, there] = await Promise.all(
          [pool, sandboxed].map((p) =>
            p.evaluate(source, input, bindings).then(
              (value) => ({ value }),
              (e: AppError) => ({ code: e.code, details: e.details }),
            ),
          ),
        )
        expect(here, source).toEqual(there)
      }
    } finally {
      await sandboxed.close()
    }
  })

  it('answers a simple expression while every process is busy with a slow one', async () => {
    const one = createExpressionPool({ size: 1, hardTimeoutMs: 1_000 })
    try {
      const order: string[] = []
      const slow = one
        .evaluate('$match("aaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)', {}, {})
        .catch(() => order.push('slow'))
      const fast = one.evaluate('a + 1', { a: 1 }, {}).then((v) => order.push(`fast ${String(v)}`))
      await Promise.all([slow, fast])
      expect(order).toEqual(['fast 2', 'slow'])
      // The same expression on a large input goes to the sandbox, behind the slow one.
      const bigOrder: string[] = []
      const slow2 = one
        .evaluate('$match("aaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)', {}, {})
        .catch(() => bigOrder.push('slow'))
      const big = one
        .evaluate('a + 1', { a: 1, pad: 'x'.repeat(20_000) }, {})
        .then((v) => bigOrder.push(`big ${String(v)}`))
      await Promise.all([slow2, big])
      expect(bigOrder).toEqual(['slow', 'big 2'])
    } finally {
      await one.close()
    }
  })
})

const json = {
  order: {
    items: [
      { name: 'a', price: 5 },
      { name: 'b', price: 20 },
      { name: 'c', price: 30 },
    ],
  },
}
