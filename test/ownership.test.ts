import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * Table ownership (CONVENTIONS.md, "Table ownership"): a module names only the tables it owns, as declared by the
 * keys of `<M>Tables` in its `src/modules/<m>/<m>.tables.ts`; anything else goes through the owner's public API.
 * The compiler enforces this for Kysely calls on a module's typed handle; this scan also catches what types cannot
 * see: raw `sql` templates, string references, a handle typed too widely, platform code, and migrations.
 * A pure source scan: no database.
 */

const root = join(import.meta.dirname, '..')
const modulesDir = join(root, 'src', 'modules')
const migrationsDir = join(root, 'src', 'migrations')

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

/** The keys of the exported `<M>Tables` type of a tables file. */
export const tablesDeclaredIn = (source: string): string[] => {
  const body = /export type \w+Tables = \{([^}]*)\}/.exec(source)?.[1]
  if (body === undefined) return []
  return [...body.matchAll(/(?:^|[;,\n])\s*(\w+)\??:/g)].map((m) => m[1]!)
}

const modules = readdirSync(modulesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()

const platformDir = join(root, 'src', 'platform')
/** Platform pieces that own tables (`src/platform/<p>/<p>.tables.ts`, e.g. the run layer's runs and run_events). */
const platformOwners = readdirSync(platformDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(platformDir, d.name, `${d.name}.tables.ts`)))
  .map((d) => d.name)

/** camelCase table name → owning module (or platform piece). */
const owners = new Map<string, string>()
for (const [m, dir] of [
  ...modules.map((m) => [m, join(modulesDir, m)] as const),
  ...platformOwners.map((p) => [p, join(platformDir, p)] as const),
]) {
  const file = join(dir, `${m}.tables.ts`)
  if (!existsSync(file)) continue
  for (const table of tablesDeclaredIn(readFileSync(file, 'utf8'))) {
    if (owners.has(table)) throw new Error(`${table} is declared by both ${owners.get(table)} and ${m}`)
    owners.set(table, m)
  }
}

/** Blanks out // and /* comments (prose may mention any table), keeping strings, templates and line numbers. */
const blank = (text: string) => text.replace(/[^\n]/g, ' ')
const stripComments = (source: string) =>
  source
    .replace(/\/\*[\s\S]*?\*\//g, blank)
    .replace(/(^|[^:'"`\\])(\/\/.*)$/gm, (_, before: string, comment: string) => before + blank(comment))

const KYSELY_CALL =
  /\.(selectFrom|insertInto|updateTable|deleteFrom|mergeInto|replaceInto|with|using|\w*Join\w*)\(\s*(\[[^\]]*\]|'[^']*')/g
const SQL_TEMPLATE = /\bsql(?:<[^>]*>)?`((?:[^`\\]|\\.)*)`/g
const SQL_NAME = /\b(from|join|into|update|table)\s+([a-z_][a-z0-9_]*)/gi
const TABLE_COLUMN = /'([a-z][A-Za-z0-9]*)\.[a-z][A-Za-z0-9_]*'/g

export type Finding = { file: string; line: number; table: string; how: string }

/** Every table a source text names, with where and how. */
export const tablesNamedIn = (file: string, source: string): Finding[] => {
  const text = stripComments(source)
  const lineOf = (index: number) => text.slice(0, index).split('\n').length
  const found: Finding[] = []
  for (const m of text.matchAll(KYSELY_CALL))
    for (const name of m[2]!.matchAll(/'([A-Za-z_][A-Za-z0-9_]*)(?:\s+as\s+\w+)?'/g))
      found.push({ file, line: lineOf(m.index), table: camel(name[1]!), how: `${m[1]}('${name[1]}')` })
  for (const m of text.matchAll(TABLE_COLUMN))
    if (owners.has(m[1]!)) found.push({ file, line: lineOf(m.index), table: m[1]!, how: m[0] })
  for (const t of text.matchAll(SQL_TEMPLATE))
    for (const m of t[1]!.matchAll(SQL_NAME))
      found.push({ file, line: lineOf(t.index + 4 + m.index), table: camel(m[2]!), how: `sql: ${m[0]}` })
  return found.filter((f) => owners.has(f.table))
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name)
    if (d.isDirectory()) return sourceFiles(path)
    return d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [path] : []
  })

const describeFinding = (f: Finding, owner: string) =>
  `${relative(root, f.file)}:${f.line} names ${snake(f.table)} (${f.how}), owned by ${owner}`

/** Findings in code that names a table it does not own (`mine`: the tables it may name). */
const foreignIn = (files: string[], mine: (table: string) => boolean) =>
  files.flatMap((file) =>
    tablesNamedIn(file, readFileSync(file, 'utf8'))
      .filter((f) => !mine(f.table))
      .map((f) => describeFinding(f, owners.get(f.table)!)),
  )

/**
 * Migrations touch tables through SQL text (runStatements) or Kysely's schema builder. A migration of module `m`
 * may create, alter, drop, index, trigger on, write or read only `m`'s tables. A foreign key (`REFERENCES t`,
 * `.references('t.id')`) to another module's table is allowed: it is the schema form of a declared dependency
 * (the module map's "depends on"), checked by the database, and no module code reads through it.
 */
const MIGRATION_SQL = new RegExp(
  String.raw`\b(create\s+table(?:\s+if\s+not\s+exists)?|alter\s+table(?:\s+if\s+exists)?|drop\s+table(?:\s+if\s+exists)?|` +
    String.raw`truncate(?:\s+table)?|insert\s+into|delete\s+from|update|from|join|on)\s+([a-z_][a-z0-9_]*)`,
  'gi',
)
const MIGRATION_BUILDER = /\.(createTable|alterTable|dropTable|on|table)\(\s*'([A-Za-z_][A-Za-z0-9_]*)'/g

export const migrationFindings = (file: string, source: string) => {
  const text = stripComments(source).replace(/--.*$/gm, blank)
  const lineOf = (index: number) => text.slice(0, index).split('\n').length
  const found: Finding[] = []
  for (const m of text.matchAll(MIGRATION_SQL))
    found.push({ file, line: lineOf(m.index), table: camel(m[2]!), how: m[0].replace(/\s+/g, ' ') })
  for (const m of text.matchAll(MIGRATION_BUILDER))
    found.push({ file, line: lineOf(m.index), table: camel(m[2]!), how: `${m[1]}('${m[2]}')` })
  return found.filter((f) => owners.has(f.table))
}

/**
 * Applied history: these shipped migrations touch another module's table. They ran on every database and cannot be
 * renamed or changed, so they are frozen here, statement by statement; any other migration, and any new statement,
 * must keep to its module's tables.
 */
const FROZEN_MIGRATIONS: Record<string, string[]> = {
  // Written when /v1 (gateway) introduced usage records: creates models' model_calls and binds identity's api_tokens.
  '20261122T0420_gateway__model_calls_token_binding.ts': [
    'alter table api_tokens',
    'create table model_calls',
    'on model_calls',
  ],
  // The ledger opened an account for each existing workspace, priced model_calls (models) and gave meetings
  // (boardroom) a request id, for metering.
  '20261122T0500_credits__ledger.ts': [
    'from workspaces',
    'alter table model_calls',
    'on model_calls',
    'alter table meetings',
    'on meetings',
  ],
  // Indexes for the reconciliation's and calibration's reads over model_calls (models) and credit_holds (credits).
  '20261122T0510_billing__reconciliation.ts': ['on model_calls', 'on credit_holds'],
  // Meetings (boardroom) got the same heartbeat column as chat runs in one migration.
  '20261122T0550_chat__heartbeats.ts': ['alter table meetings'],
  // The one move of chat's and boardroom's run state into the run layer (issue 11): it copies their runs and events
  // into runs/run_events, reading conversations (chat) for a run's workspace and meetings (boardroom) for theirs;
  // chat's and boardroom's own migrations then drop what moved.
  '20261204T0200_runs__runs_and_events.ts': ['join conversations', 'from meetings'],
}

describe('table ownership', () => {
  it('reads a tables type written on one line or several', () => {
    expect(tablesDeclaredIn('export type XTables = { runs: RunsTable; runEvents: RunEventsTable }')).toEqual([
      'runs',
      'runEvents',
    ])
    expect(tablesDeclaredIn('export type XTables = {\n  a: A\n  b?: B\n}')).toEqual(['a', 'b'])
  })

  it('every table of the schema has exactly one owning module', () => {
    const schema = readFileSync(join(root, 'src', 'schema.ts'), 'utf8')
    const parts = [...schema.matchAll(/import type \{ (\w+)Tables \} from '\.\/modules\/(\w+)\/\2\.tables\.ts'/g)]
    const withTables = modules.filter((m) => existsSync(join(modulesDir, m, `${m}.tables.ts`)))
    expect(parts.map((p) => p[2]).sort()).toEqual(withTables)
    expect(owners.size).toBeGreaterThan(30)
  })

  it.each(modules)('module %s names only the tables it owns', (m) => {
    expect(foreignIn(sourceFiles(join(modulesDir, m)), (t) => owners.get(t) === m)).toEqual([])
  })

  it('platform code names no module table; a platform piece names only the tables it owns', () => {
    for (const dir of readdirSync(platformDir, { withFileTypes: true }).filter((d) => d.isDirectory()))
      expect(foreignIn(sourceFiles(join(platformDir, dir.name)), (t) => owners.get(t) === dir.name)).toEqual([])
    expect(platformOwners).toContain('runs')
  })

  it('a migration touches only its module’s tables (shipped exceptions frozen)', () => {
    const problems: string[] = []
    for (const name of readdirSync(migrationsDir).filter((f) => f.endsWith('.ts'))) {
      const module = /^\d{8}T\d{4}_([a-z]+)__/.exec(name)?.[1]
      if (!module) {
        problems.push(`${name}: not named <timestamp>_<module>__<what>.ts`)
        continue
      }
      const frozen = new Set(FROZEN_MIGRATIONS[name] ?? [])
      for (const f of migrationFindings(join(migrationsDir, name), readFileSync(join(migrationsDir, name), 'utf8'))) {
        const owner = owners.get(f.table)!
        if (owner === module || frozen.has(f.how.toLowerCase())) continue
        problems.push(describeFinding(f, owner))
      }
    }
    expect(problems).toEqual([])
  })

  it('the scan sees the ways code names a table', () => {
    const planted = [
      "db.selectFrom('workspaces').select('plan')",
      "trx.insertInto('creditEntries as e')",
      "q.leftJoin('modelCalls as m', 'm.holdId', 'h.id')",
      "q.where('clients.workspaceId', '=', id)",
      'sql`UPDATE model_calls SET charged = 0`',
      'sql<number>`select count(*) from memberships where user_id = ${id}`',
    ].join('\n')
    expect(tablesNamedIn('planted.ts', planted).map((f) => f.table)).toEqual([
      'workspaces',
      'creditEntries',
      'modelCalls',
      'clients',
      'modelCalls',
      'memberships',
    ])
    expect(tablesNamedIn('prose.ts', '// reads from workspaces\nconst code = "tenancy.client_not_found"')).toEqual([])
  })
})
