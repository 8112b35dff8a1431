import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImportDto } from '../../contracts/crm.ts'
import type { FlowDto } from '../../contracts/flows.ts'
import { edge, node } from '../flow-graph.ts'
import { addMember, call, createTestContext, driver, onboard, type Caller, type TestContext } from '../harness.ts'

/**
 * Lead import (issue 14 §8): a CSV previewed with a mapping suggested from EN/RO headers, a dry run that answers counts
 * and per-row errors and writes nothing, and a real run (the `crm.run-import` job) that makes a contact and a deal per
 * new lead, reports duplicates with the contact they match, and never imports a file twice under one Idempotency-Key.
 */
let ctx: TestContext
let w: Awaited<ReturnType<typeof onboard>>
const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
const withKey = (key: string): Caller => ({ ...owner(), headers: { ...owner().headers, 'idempotency-key': key } })
const runJob = async (importId: string) => {
  const job = ctx.container.jobs.find((j) => j.name === 'crm.run-import')!
  await job.handler({ importId })
}
const countOf = async (url: string) => {
  const res = await call(ctx.app, 'GET', url, owner())
  expect(res.statusCode, res.body).toBe(200)
  return (res.json().items as unknown[]).length
}

const RO_FILE =
  '\uFEFFNume;Telefon;Email;Etichete;Firma;Valoare\n' +
  'Ana Pop;0722 123 456;ANA@example.ro;targ, vip;Pop SRL;1.250,50\n' +
  ';0722 12;;;;\n' +
  'Dan;;dan@@example;;;\n' +
  ';;;;;\n' +
  'Ioana;+40 733 000 111;;;;abc\n' +
  'Fără contact;;;;;\n' +
  'Ana again;+40722123456;;;;\n'

beforeAll(async () => {
  ctx = await createTestContext()
  w = await onboard(ctx.app, 'crm-import')
  const country = await call(ctx.app, 'PUT', '/api/crm/settings', owner(), { defaultCountry: 'RO' })
  expect(country.statusCode, country.body).toBe(200)
})
afterAll(async () => {
  await ctx.close()
})

describe('CRM lead import', () => {
  it('previews a semicolon file with a BOM: headers, a mapping suggested from Romanian names, rows mapped', async () => {
    const res = await call(ctx.app, 'POST', '/api/crm/imports/preview', owner(), { csv: RO_FILE })
    expect(res.statusCode, res.body).toBe(200)
    const p = res.json()
    expect(p.delimiter).toBe(';')
    expect(p.headers).toEqual(['Nume', 'Telefon', 'Email', 'Etichete', 'Firma', 'Valoare'])
    expect(p.suggestedMapping).toEqual({
      name: 'Nume',
      phone: 'Telefon',
      email: 'Email',
      tags: 'Etichete',
      company: 'Firma',
      dealValue: 'Valoare',
    })
    expect(p.totalRows).toBe(6)
    expect(p.rows[0]).toEqual({
      row: 2,
      lead: {
        name: 'Ana Pop',
        phone: '+40722123456',
        email: 'ana@example.ro',
        tags: ['targ', 'vip'],
        company: 'Pop SRL',
        dealTitle: null,
        dealValueMinor: 125050,
      },
      errors: [],
    })
  })

  it('reads a tab-separated file with English headers and a mapping given by the caller', async () => {
    const csv = 'Full name\tMobile\tNotes\nBob\t+40 744 555 666\thello\n'
    const res = await call(ctx.app, 'POST', '/api/crm/imports/preview', owner(), {
      csv,
      mapping: { name: 'Full name', phone: 'Mobile', dealTitle: 'Notes' },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().delimiter).toBe('\t')
    expect(res.json().suggestedMapping).toEqual({ name: 'Full name', phone: 'Mobile' })
    expect(res.json().rows[0].lead).toMatchObject({ name: 'Bob', phone: '+40744555666', dealTitle: 'hello' })
  })

  it('refuses a mapping that names a column the file does not have', async () => {
    const res = await call(ctx.app, 'POST', '/api/crm/imports/preview', owner(), {
      csv: RO_FILE,
      mapping: { name: 'Name' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('crm.import_unknown_column')
  })

  it('answers a dry run with counts and per-row errors by line number, and writes nothing', async () => {
    const res = await call(ctx.app, 'POST', '/api/crm/imports', owner(), { csv: RO_FILE, source: 'fair', dryRun: true })
    expect(res.statusCode, res.body).toBe(200)
    const dry = res.json() as ImportDto
    expect(dry).toMatchObject({ id: null, status: 'dry_run' })
    expect(dry.counts).toEqual({ total: 6, valid: 3, imported: 2, duplicates: 1, invalid: 3, pending: 0 })
    const byRow = Object.fromEntries(dry.problems.map((p) => [p.row, p]))
    expect(byRow[3]!.errors.map((e) => e.code)).toEqual(['invalid_phone'])
    expect(byRow[4]!.errors.map((e) => e.code)).toEqual(['invalid_email'])
    expect(byRow[6]!.errors.map((e) => e.code)).toEqual(['invalid_value'])
    expect(byRow[8]).toMatchObject({ status: 'duplicate', contactId: null })
    expect(byRow[8]!.errors[0]!.message).toContain('row 2')
    expect(await countOf('/api/crm/contacts')).toBe(0)
    expect(await countOf('/api/crm/deals')).toBe(0)
  })

  it('imports valid rows as contacts with deals in the first stage, and reports duplicates with the contact they match', async () => {
    const existing = await call(ctx.app, 'POST', '/api/crm/contacts', owner(), {
      name: 'Known',
      emails: ['known@example.ro'],
    })
    expect(existing.statusCode, existing.body).toBe(201)
    const csv =
      'Name,Phone,Email,Deal,Value\n' +
      'Maria,+40 755 000 001,,Wedding,"2.000"\n' +
      'Known twin,,KNOWN@example.ro,,\n' +
      'Maria twin,0755000001,,,\n' +
      'Nobody,,,,\n' +
      ',,,,\n'
    const res = await call(ctx.app, 'POST', '/api/crm/imports', withKey('file-1'), { csv, source: 'website' })
    expect(res.statusCode, res.body).toBe(202)
    const started = res.json() as ImportDto
    expect(started.counts).toMatchObject({ total: 4, invalid: 0, pending: 4 })
    await runJob(started.id!)

    const done = (await call(ctx.app, 'GET', `/api/crm/imports/${started.id}`, owner())).json() as ImportDto
    expect(done).toMatchObject({ status: 'completed' })
    expect(done.counts).toEqual({ total: 4, valid: 4, imported: 2, duplicates: 2, invalid: 0, pending: 0 })
    const rows = (await call(ctx.app, 'GET', `/api/crm/imports/${started.id}/rows`, owner())).json().items
    const byRow = Object.fromEntries(rows.map((r: { row: number }) => [r.row, r]))
    expect(byRow[3]).toMatchObject({ status: 'duplicate', contactId: existing.json().id, dealId: null })
    expect(byRow[4]).toMatchObject({ status: 'duplicate', contactId: byRow[2].contactId })
    expect(byRow[5]).toMatchObject({ status: 'imported', lead: { name: 'Nobody' } })

    const deal = (await call(ctx.app, 'GET', `/api/crm/deals/${byRow[2].dealId}`, owner())).json()
    expect(deal).toMatchObject({ title: 'Wedding', valueMinor: 200000, currency: 'RON', contactId: byRow[2].contactId })
    const pipeline = (await call(ctx.app, 'GET', '/api/crm/pipelines', owner())).json().items[0]
    expect(deal.stageId).toBe(pipeline.stages[0].id)
    expect(await countOf('/api/crm/contacts')).toBe(3)

    // Posted again with the same key: the first import answers, nothing is imported twice.
    const again = await call(ctx.app, 'POST', '/api/crm/imports', withKey('file-1'), { csv, source: 'website' })
    expect(again.statusCode, again.body).toBe(202)
    expect(again.json().id).toBe(started.id)
    await runJob(started.id!)
    expect(await countOf('/api/crm/contacts')).toBe(3)
    const reused = await call(ctx.app, 'POST', '/api/crm/imports', withKey('file-1'), {
      csv: csv + 'X,,x@y.ro,,\n',
      source: 'website',
    })
    expect(reused.statusCode).toBe(409)
    expect(reused.json().error.code).toBe('crm.import_key_reused')
  })

  it('lets a viewer read an import but not start one', async () => {
    const viewer = await addMember(ctx.app, w.user, w.workspaceId, 'viewer')
    const res = await call(
      ctx.app,
      'POST',
      '/api/crm/imports',
      { cookie: viewer.cookie, headers: { 'x-client-id': w.clientId } },
      { csv: 'Name\nA\n', source: 'x' },
    )
    expect(res.statusCode).toBe(403)
  })

  it('refuses a file with more rows than one import takes', async () => {
    const csv = 'Name\n' + Array.from({ length: 10_001 }, (_, i) => `Lead ${i}`).join('\n')
    const res = await call(ctx.app, 'POST', '/api/crm/imports', owner(), { csv, source: 'big', dryRun: true })
    expect(res.statusCode).toBe(413)
    expect(res.json().error.code).toBe('crm.import_too_many_rows')
  })
})

// The Done-when of issue 14 §8 (PostgreSQL: the real concurrency and size): 1,000 leads with 3 duplicates — 2 within
// the file, 1 of an existing contact — make 997 contacts and 997 deals, and a flow on "Lead imported" runs once per lead.
describe.runIf(driver === 'postgres')('CRM lead import of 1,000 leads', () => {
  it('imports 997 leads in batches and starts exactly one run of the lead flow per lead', async () => {
    const b = await onboard(ctx.app, 'crm-import-1000')
    const as = (): Caller => ({ cookie: b.user.cookie, headers: { 'x-client-id': b.clientId } })
    const phone = (i: number) => `+40722${String(i).padStart(6, '0')}`
    const known = await call(ctx.app, 'POST', '/api/crm/contacts', as(), { name: 'Known', phones: [phone(500)] })
    expect(known.statusCode, known.body).toBe(201)
    const created = await call(ctx.app, 'POST', '/api/flows', as(), {
      name: 'Every lead',
      graph: {
        nodes: [node('t', 'crm.lead-imported', {}), node('n', 'crm.add-note', { body: 'Imported' })],
        edges: [edge('t', 'n')],
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    const flow = created.json() as FlowDto
    expect((await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, as())).statusCode).toBe(200)

    const lines = Array.from({ length: 998 }, (_, i) => `Lead ${i},${phone(i)},lead${i}@example.ro`)
    lines.push(`Lead 10 again,${phone(10)},`, `Lead 20 by email,,LEAD20@example.ro`)
    const csv = 'Name,Phone,Email\n' + lines.join('\n') + '\n'
    const res = await call(ctx.app, 'POST', '/api/crm/imports', as(), { csv, source: 'fair' })
    expect(res.statusCode, res.body).toBe(202)
    const id = res.json().id as string
    await ctx.container.jobs.find((j) => j.name === 'crm.run-import')!.handler({ importId: id })

    const done = (await call(ctx.app, 'GET', `/api/crm/imports/${id}`, as())).json() as ImportDto
    expect(done.counts).toEqual({ total: 1000, valid: 1000, imported: 997, duplicates: 3, invalid: 0, pending: 0 })
    const db = ctx.container.db
    const count = async (table: 'crmContacts' | 'crmDeals') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('clientId', '=', b.clientId)
            .executeTakeFirstOrThrow()
        ).n,
      )
    expect(await count('crmContacts')).toBe(997 + 1)
    expect(await count('crmDeals')).toBe(997)
    const runs = await db.selectFrom('flowRuns').select(['triggerKey']).where('flowId', '=', flow.id).execute()
    expect(runs).toHaveLength(997)
    expect(new Set(runs.map((r) => r.triggerKey)).size).toBe(997)
    // The job delivered twice (a retry) imports nothing more and starts nothing more.
    await ctx.container.jobs.find((j) => j.name === 'crm.run-import')!.handler({ importId: id })
    expect(await db.selectFrom('flowRuns').select('id').where('flowId', '=', flow.id).execute()).toHaveLength(997)
    expect(await count('crmDeals')).toBe(997)

    // A worker takes each run's first slice from its `flows.advance` job (8 at a time, under the workspace's cap of
    // 10); a tenth of the jobs are delivered twice (a retry after a lost acknowledgement). Every run completes once,
    // and its note is added once.
    const advance = ctx.container.jobs.find((j) => j.name === 'flows.advance')!
    const queue = runs.length
      ? await db.selectFrom('flowRuns').select('id').where('flowId', '=', flow.id).execute()
      : []
    const deliveries = [...queue.map((r) => r.id), ...queue.filter((_, i) => i % 10 === 0).map((r) => r.id)]
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let id = deliveries.shift(); id; id = deliveries.shift()) await advance.handler({ runId: id })
      }),
    )
    await ctx.container.flows.engine.drain()
    const ended = await db
      .selectFrom('flowRuns')
      .select(['status', 'triggerKey', 'steps'])
      .where('flowId', '=', flow.id)
      .execute()
    expect(ended).toHaveLength(997)
    expect(ended.filter((r) => r.status === 'completed')).toHaveLength(997)
    expect(new Set(ended.map((r) => r.triggerKey)).size).toBe(997)
    const notes = await db
      .selectFrom('crmNotes')
      .select(['contactId', 'body'])
      .where('clientId', '=', b.clientId)
      .execute()
    expect(notes).toHaveLength(997)
    expect(new Set(notes.map((n) => n.contactId)).size).toBe(997)
    expect(notes.every((n) => n.body === 'Imported')).toBe(true)
  }, 120_000)
})
