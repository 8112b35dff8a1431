// Per-call overhead of the expression pool (ADR 0004 §5): `a + 1` through a child process vs JSONata in-process.
// Run: npx node bench/expressions.bench.ts [calls]
import jsonata from 'jsonata'
import { createExpressionPool } from '../src/modules/flows/expressions/pool.ts'

const calls = Number(process.argv[2] ?? 2000)
const input = { a: 1 }

const inProcess = async () => {
  const expression = jsonata('a + 1', { timeout: 100, stack: 200, sequence: 100_000 })
  for (let i = 0; i < calls; i++) await expression.evaluate(input, {})
}

const pool = createExpressionPool({ size: 1 })
await pool.evaluate('a + 1', input, {}) // start the process and compile once, outside the timing
const sequential = async () => {
  for (let i = 0; i < calls; i++) await pool.evaluate('a + 1', input, {})
}
const batched = async () => {
  for (let i = 0; i < calls / 10; i++) await pool.evaluateMany(Array(10).fill('a + 1') as string[], input, {})
}
const parallel = async () => {
  const two = createExpressionPool({ size: 2 })
  await Promise.all([two.evaluate('a + 1', input, {}), two.evaluate('a + 1', input, {})])
  const started = performance.now()
  await Promise.all(Array.from({ length: calls }, () => two.evaluate('a + 1', input, {})))
  const ms = performance.now() - started
  await two.close()
  return ms
}

const time = async (run: () => Promise<unknown>) => {
  const started = performance.now()
  await run()
  return performance.now() - started
}

const rows: [string, number][] = []
for (let round = 0; round < 2; round++) {
  // the second round is the one reported: the first warms up the JIT on both sides
  rows.length = 0
  rows.push(['jsonata in-process', await time(inProcess)])
  rows.push(['pool, sequential awaits (size 1)', await time(sequential)])
  rows.push(['pool, evaluateMany of 10 (size 1)', await time(batched)])
  rows.push(['pool, all in flight (size 2)', await parallel()])
}
await pool.close()
console.log(`${calls} evaluations of \`a + 1\` (Node ${process.versions.node})`)
for (const [name, ms] of rows)
  console.log(`${name.padEnd(36)} ${(ms / calls).toFixed(4)} ms/call  (${ms.toFixed(0)} ms total)`)
