import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backupDatabase, listBackups, restoreDatabase, tableDigests } from '../src/platform/db/backup.ts'
import { createDatabase, type Database } from '../src/platform/db/database.ts'
import {
  call,
  createTestContext,
  createTestDatabaseUrl,
  driver,
  onboard,
  TEST_INTERNAL_TOKEN,
  type TestContext,
} from './harness.ts'

const ROOT = join(import.meta.dirname, '..')
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const balances = async (database: Database<any>) =>
  (
    await sql<{ workspaceId: string; balance: string }>`
      select workspace_id as "workspaceId", sum(amount)::text as balance from credit_entries
      group by workspace_id order by workspace_id`.execute(database.db)
  ).rows

/** Runs one of the npm scripts (`backup`, `restore`) as a user would, on the project's Node. */
const script = (name: string, args: string[], env: Record<string, string>) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', `${name}.ts`), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  })
  return { code: r.status, out: `${r.stdout}${r.stderr}` }
}

describe('backup and restore', () => {
  let ctx: TestContext
  let tmp: string
  const dropAfter: (() => Promise<void>)[] = []

  beforeAll(async () => {
    ctx = await createTestContext()
    tmp = mkdtempSync(join(tmpdir(), 'camarad-backup-'))
    // Data in many tables: accounts, a workspace with clients, credits granted and spent, audit events.
    for (const label of ['backup-a', 'backup-b']) {
      const w = await onboard(ctx.app, label)
      expect(
        (
          await call(
            ctx.app,
            'POST',
            '/api/clients',
            { cookie: w.user.cookie, workspaceId: w.workspaceId },
            { name: `${label} second` },
          )
        ).statusCode,
      ).toBe(201)
      const granted = await call(
        ctx.app,
        'POST',
        `/api/operator/workspaces/${w.workspaceId}/credits`,
        { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
        { credits: 25, reason: 'backup test', requestId: `grant-${label}` },
      )
      expect(granted.statusCode, granted.body).toBeLessThan(300)
    }
  })
  afterAll(async () => {
    for (const drop of dropAfter) await drop()
    await ctx?.close()
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  it('restores into a fresh database with every row and the ledger balances identical', async () => {
    const live = ctx.container.database
    const secretKeyFile = join(tmp, 'live-secret.key')
    writeFileSync(secretKeyFile, 'a-generated-key\n')
    const { path, manifest } = await backupDatabase(live, { dir: join(tmp, 'backups'), secretKeyFile })
    expect(manifest.kind).toBe(driver)
    expect(manifest.tables['credit_entries']!.rows).toBeGreaterThan(0)
    expect(manifest.tables['users']!.rows).toBeGreaterThanOrEqual(2)
    expect(manifest.tables).toEqual(await tableDigests(live))

    const fresh = await createTestDatabaseUrl()
    dropAfter.push(fresh.drop)
    const target =
      driver === 'postgres'
        ? { databaseUrl: fresh.url! }
        : { dataDir: join(tmp, 'data', 'pglite'), secretKeyFile: join(tmp, 'data', 'secret.key') }
    const restored = await restoreDatabase(path, target)
    expect(restored.differ).toEqual([])
    expect(Object.keys(restored.tables).sort()).toEqual(Object.keys(manifest.tables).sort())

    const reopened = await createDatabase(
      'databaseUrl' in target ? { databaseUrl: target.databaseUrl, poolSize: 1 } : { dataDir: target.dataDir },
    )
    try {
      const before = await balances(live)
      expect(before.length).toBeGreaterThanOrEqual(2)
      expect(await balances(reopened)).toEqual(before)
      expect(await tableDigests(reopened)).toEqual(await tableDigests(live))
    } finally {
      await reopened.close()
    }
    if ('secretKeyFile' in target) expect(readFileSync(target.secretKeyFile!, 'utf8')).toBe('a-generated-key\n')
  })

  it('refuses a target that holds data, a file that does not match its manifest, and keeps the newest N', async () => {
    const dir = join(tmp, 'kept')
    const made: string[] = []
    for (let i = 0; i < 3; i++) {
      const at = new Date(Date.UTC(2026, 11, 1 + i, 3))
      made.push((await backupDatabase(ctx.container.database, { dir, keep: 2, now: at })).path)
    }
    expect(listBackups(dir).map((b) => b.path)).toEqual([made[2], made[1]])

    const occupied =
      driver === 'postgres'
        ? { databaseUrl: ctx.container.config.DATABASE_URL! }
        : { dataDir: join(tmp, 'data', 'pglite') } // restored into by the test above
    await expect(restoreDatabase(made[2]!, occupied)).rejects.toThrow(/not empty/)

    const manifest = JSON.parse(readFileSync(join(made[2]!, 'manifest.json'), 'utf8')) as { file: string }
    const file = join(made[2]!, manifest.file)
    const bytes = readFileSync(file)
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff
    writeFileSync(file, bytes)
    await expect(restoreDatabase(made[2]!, occupied)).rejects.toThrow(/does not match its manifest/)
  })

  it('npm run backup and npm run restore do the same from a shell', async () => {
    const backups = join(tmp, `cli-${randomBytes(3).toString('hex')}`)
    let source: Record<string, string>
    let target: Record<string, string>
    if (driver === 'postgres') {
      const fresh = await createTestDatabaseUrl()
      dropAfter.push(fresh.drop)
      source = { DATABASE_URL: ctx.container.config.DATABASE_URL!, SECRET_KEY: 'k'.repeat(40) }
      target = { DATABASE_URL: fresh.url!, SECRET_KEY: 'k'.repeat(40) }
    } else {
      // The data directory the first test restored into, closed: what `npm start` leaves after it stops.
      source = { DATA_DIR: join(tmp, 'data') }
      target = { DATA_DIR: join(tmp, 'data-restored') }
    }
    const made = script('backup', [], { ...source, BACKUP_DIR: backups })
    expect(made.code, made.out).toBe(0)
    expect(made.out).toMatch(/^backup: /m)
    const [backup] = readdirSync(backups).filter((n) => n.startsWith('camarad-'))
    const restored = script('restore', [join(backups, backup!)], { ...target, BACKUP_DIR: backups })
    expect(restored.code, restored.out).toBe(0)
    expect(restored.out).toContain('every table matches the manifest')
    const again = script('restore', [join(backups, backup!)], { ...target, BACKUP_DIR: backups })
    expect(again.code).toBe(1)
    expect(again.out).toMatch(/not empty/)
  })
})
