import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * Migrations are forward-only: a database migrated by an earlier release has every migration it ran recorded by
 * name, and Kysely refuses to migrate it when one of them is gone ("previously executed migration … is missing") or
 * when a new one sorts before one it ran. `src/migrations/migrations.lock` lists every migration in order; a new one
 * is appended to it, none is ever removed or renamed.
 */
const dir = join(import.meta.dirname, '..', '..', 'src', 'migrations')
const files = readdirSync(dir)
  .filter((f) => /^\d{8}T\d{4}_.+\.ts$/.test(f) && !f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort()
const locked = readFileSync(join(dir, 'migrations.lock'), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))

describe('migrations are append-only', () => {
  it('keeps every migration the lock lists (none removed or renamed)', () => {
    expect(locked.filter((name) => !files.includes(name))).toEqual([])
  })

  it('lists every migration in the lock, in the order they run (a new one appended, sorting after the others)', () => {
    expect(locked).toEqual([...locked].sort())
    expect(files).toEqual(locked)
  })
})
