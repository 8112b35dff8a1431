/**
 * No source line over 160 characters (Prettier wraps code at 120; what it cannot wrap — a long string, a comment, a
 * class list — must be wrapped by hand). Part of `npm run lint`.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const MAX = 160
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.tsx', '*.js'], {
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean)
const long: string[] = []
for (const file of files) {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    continue // listed by git but deleted in the working tree
  }
  text.split('\n').forEach((line, i) => {
    if (line.length > MAX) long.push(`${file}:${i + 1}: ${line.length} characters`)
  })
}
if (long.length) {
  console.error(`Lines over ${MAX} characters (wrap them):\n${long.join('\n')}`)
  process.exit(1)
}
