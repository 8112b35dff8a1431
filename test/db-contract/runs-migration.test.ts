import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase, executeRaw, type Database } from '../../src/platform/db/database.ts'
import { migrateTo, migrateToLatest } from '../../src/platform/db/migrator.ts'
import { createTestDatabaseUrl, driver } from '../harness.ts'

/**
 * The move of run state into the run layer (20261204T02…): chat runs and their events, and meetings' status,
 * heartbeat and events, become `runs` / `run_events` rows under the same ids; answers point at their run; the old
 * tables and columns are gone.
 */
describe(`runs migration (${driver})`, () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema as it is before and after the move
  let database: Database<any>
  let drop: () => Promise<void>
  const beat = new Date('2026-12-01T10:00:05Z')

  beforeAll(async () => {
    const target = await createTestDatabaseUrl()
    drop = target.drop
    database = await createDatabase({ databaseUrl: target.url })
    await migrateTo(database.db, '20261203T1220_subscriptions__clawback_shortfall')
    const run = (text: string, values: unknown[] = []) => executeRaw(database.db, text, values)
    await run(`INSERT INTO users (id, email, name) VALUES ('usr_1', 'a@example.test', 'A')`)
    await run(`INSERT INTO workspaces (id, name) VALUES ('ws_1', 'W')`)
    await run(`INSERT INTO clients (id, workspace_id, name) VALUES ('cli_1', 'ws_1', 'C')`)
    await run(`INSERT INTO conversations (id, workspace_id, client_id, agent_id, created_by)
      VALUES ('conv_1', 'ws_1', 'cli_1', 'builtin.copywriter', 'usr_1')`)
    await run(`INSERT INTO messages (id, conversation_id, client_id, role, content, status)
      VALUES ('msg_q', 'conv_1', 'cli_1', 'user', 'Hi', 'complete'),
             ('msg_a', 'conv_1', 'cli_1', 'assistant', 'Hello', 'complete')`)
    await run(
      `INSERT INTO chat_runs (id, conversation_id, client_id, message_id, status, heartbeat_at, created_at, finished_at)
      VALUES ('run_1', 'conv_1', 'cli_1', 'msg_a', 'completed', $1, '2026-12-01T10:00:00Z', '2026-12-01T10:00:09Z')`,
      [beat],
    )
    await run(`INSERT INTO chat_events (run_id, seq, type, data) VALUES
      ('run_1', 1, 'delta', '{"text":"Hello"}'), ('run_1', 2, 'done', '{"messageId":"msg_a","status":"complete"}')`)
    await run(
      `INSERT INTO meetings (id, workspace_id, client_id, topic, agent_ids, rounds, status, summary, created_by,
      created_at, heartbeat_at) VALUES ('mtg_1', 'ws_1', 'cli_1', 'Menu', '["builtin.copywriter"]', 1, 'running', '',
      'usr_1', '2026-12-01T11:00:00Z', $1)`,
      [beat],
    )
    await run(
      `INSERT INTO meeting_events (meeting_id, seq, type, data) VALUES ('mtg_1', 1, 'turn', '{"turnId":"turn_1"}')`,
    )
    await migrateToLatest(database.db)
  })
  afterAll(async () => {
    await database?.close()
    await drop?.()
  })

  it('keeps every run under its id, with its kind, workspace, subject, status and heartbeat', async () => {
    const runs = await database.db.selectFrom('runs').selectAll().orderBy('id').execute()
    expect(runs).toEqual([
      expect.objectContaining({
        id: 'mtg_1',
        kind: 'meeting',
        workspaceId: 'ws_1',
        subjectId: 'mtg_1',
        status: 'running',
        heartbeatAt: beat,
        finishedAt: null,
      }),
      expect.objectContaining({
        id: 'run_1',
        kind: 'chat',
        workspaceId: 'ws_1',
        subjectId: 'conv_1',
        status: 'completed',
        heartbeatAt: beat,
        finishedAt: new Date('2026-12-01T10:00:09Z'),
      }),
    ])
  })

  it('keeps every event, and the answer points at its run', async () => {
    const events = await database.db
      .selectFrom('runEvents')
      .select(['runId', 'seq', 'type', 'data'])
      .orderBy('runId')
      .orderBy('seq')
      .execute()
    expect(events).toEqual([
      { runId: 'mtg_1', seq: 1, type: 'turn', data: { turnId: 'turn_1' } },
      { runId: 'run_1', seq: 1, type: 'delta', data: { text: 'Hello' } },
      { runId: 'run_1', seq: 2, type: 'done', data: { messageId: 'msg_a', status: 'complete' } },
    ])
    const messages = await database.db.selectFrom('messages').select(['id', 'runId']).orderBy('id').execute()
    expect(messages).toEqual([
      { id: 'msg_a', runId: 'run_1' },
      { id: 'msg_q', runId: null },
    ])
  })

  it('drops the old tables and columns', async () => {
    const tables = (
      await sql<{ t: string }>`select table_name as t from information_schema.tables
        where table_name in ('chat_runs', 'chat_events', 'meeting_events')`.execute(database.db)
    ).rows
    expect(tables).toEqual([])
    const columns = (
      await sql<{ c: string }>`select column_name as c from information_schema.columns
        where table_name = 'meetings' and column_name in ('status', 'heartbeat_at', 'finished_at')`.execute(database.db)
    ).rows
    expect(columns).toEqual([])
  })
})
