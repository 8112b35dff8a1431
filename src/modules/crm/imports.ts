import { createHash } from 'node:crypto'
import type { FeatureGate } from '../features/features.module.ts'
import { sql, type Kysely } from 'kysely'
import { z } from 'zod'
import type {
  ImportCreate,
  ImportCsv,
  ImportDto,
  ImportedLead,
  ImportPageDto,
  ImportPagesCreate,
  ImportRequest,
  ImportRowQuery,
} from '../../../contracts/crm.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestFirstPage, newestSeqFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
import type { Emits } from '../../platform/events/events.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import { defineJob, type Queue } from '../../platform/queue/queue.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { insertContact } from './contacts.ts'
import { crmErrors } from './crm.errors.ts'
import type { CrmEvents } from './crm.events.ts'
import type { CrmTables, ImportRow, ImportRowRow } from './crm.tables.ts'
import { insertDeal } from './deals.ts'
import { checkMapping, checkRow, keysOf, readCsv, suggestMapping, type CheckedRow } from './imports.csv.ts'
import { pageUrl, type PageImports } from './imports.pages.ts'
import { defaultPipelineId, stagesOf } from './pipelines.ts'
import type { CrmSettings } from './settings.ts'

/** Rows per transaction: 1,000 leads never hold one giant transaction, and a crash loses at most one batch's work. */
export const IMPORT_BATCH = 200
const PREVIEW_ROWS = 20
const DRY_RUN_PROBLEMS = 200
const INSERT_CHUNK = 500

const rowDto = (r: { row: number; status: ImportRowRow['status']; lead: ImportedLead } & Partial<ImportRowRow>) => ({
  row: r.row,
  status: r.status,
  lead: r.lead,
  contactId: r.contactId ?? null,
  dealId: r.dealId ?? null,
  errors: (r.errors ?? []) as ImportDto['problems'][number]['errors'],
  url: r.sourceUrl ?? null,
})

const importDto = (i: ImportRow, pages: ImportPageDto[] = []): ImportDto => ({
  id: i.id,
  kind: i.kind,
  source: i.source,
  status: i.status,
  counts: {
    total: i.total,
    valid: i.total - i.invalid,
    imported: i.imported,
    duplicates: i.duplicates,
    invalid: i.invalid,
    pending: i.total - i.invalid - i.imported - i.duplicates,
  },
  problems: [],
  pages,
  createdAt: i.createdAt.toISOString(),
  finishedAt: i.finishedAt?.toISOString() ?? null,
})

/** The contacts of the client that hold these keys (`phone:+40…`, `email:…`) among live contacts. */
const holders = async (h: Kysely<CrmTables>, clientId: string, keys: string[]) => {
  const found = new Map<string, string>()
  const phones = keys.filter((k) => k.startsWith('phone:')).map((k) => k.slice(6))
  const emails = keys.filter((k) => k.startsWith('email:')).map((k) => k.slice(6))
  if (phones.length)
    for (const r of await h
      .selectFrom('crmContactPhones')
      .select(['phone', 'contactId'])
      .where('clientId', '=', clientId)
      .where('state', '=', 'active')
      .where('phone', 'in', phones)
      .execute())
      found.set(`phone:${r.phone}`, r.contactId)
  if (emails.length)
    for (const r of await h
      .selectFrom('crmContactEmails')
      .select(['email', 'contactId'])
      .where('clientId', '=', clientId)
      .where('state', '=', 'active')
      .where('email', 'in', emails)
      .execute())
      found.set(`email:${r.email}`, r.contactId)
  return found
}

/**
 * Lead import (issue 14 §8, ADR 0006 "Lead import"). The file is read and every row checked when it is posted; a dry
 * run answers what would happen and writes nothing. A real import stores its rows (mapped, checked) with the import
 * and enqueues `crm.run-import` in that transaction; the job imports pending rows in batches of {@link IMPORT_BATCH},
 * each batch one transaction that locks the import, so two runs of the job never import a row twice and a dead one is
 * resumed by its retry. Each new lead is a contact (`crm.contact-created`, source `import`), a deal in the default
 * pipeline's first stage and a `crm.lead-imported` event, all in the batch's transaction.
 */
export const createImports = (deps: {
  db: Kysely<CrmTables>
  events: Emits<CrmEvents>
  audit: AuditService
  queue: Queue
  settings: CrmSettings
  /** The page half: pages fetched and read into rows by the same job, before its batches. */
  pages: PageImports
  features: Pick<FeatureGate, 'require'>
}) => {
  const { db, events } = deps

  /** The file read and each row checked, in the client's default country. */
  const read = async (scope: ClientScope, body: ImportCsv) => {
    const file = readCsv(body.csv, body.delimiter)
    const mapping = body.mapping ?? suggestMapping(file.headers)
    checkMapping(mapping, file.headers)
    const country = await deps.settings.defaultCountry(db, scope.clientId)
    return {
      ...file,
      mapping,
      check: (r: { line: number; cells: string[] }) => checkRow(r.line, r.cells, file.headers, mapping, country),
    }
  }

  const runJob = defineJob({
    name: 'crm.run-import',
    payload: z.object({ importId: z.string() }),
    retryLimit: 10,
    retryDelaySeconds: 15,
    handler: async ({ importId }) => {
      await deps.pages.scrape(importId)
      while (await runBatch(importId));
    },
  })

  /** Imports the next batch of pending rows; false once none is left. */
  const runBatch = async (importId: string) =>
    db.transaction().execute(async (trx) => {
      const imp = await trx
        .selectFrom('crmImports')
        .selectAll()
        .where('id', '=', importId)
        .forUpdate()
        .executeTakeFirst()
      if (!imp || imp.status === 'completed') return false
      const rows = await trx
        .selectFrom('crmImportRows')
        .selectAll()
        .where('importId', '=', importId)
        .where('status', '=', 'pending')
        .orderBy('rowNumber')
        .limit(IMPORT_BATCH)
        .execute()
      if (!rows.length) {
        // A page import is complete once its pages are read too (a concurrent run may still be reading one).
        if (imp.kind === 'pages') {
          const reading = await trx
            .selectFrom('crmImportPages')
            .select('position')
            .where('importId', '=', importId)
            .where('status', 'in', ['pending', 'fetching'])
            .executeTakeFirst()
          if (reading) return false
        }
        await trx
          .updateTable('crmImports')
          .set({ status: 'completed', finishedAt: new Date() })
          .where('id', '=', importId)
          .execute()
        return false
      }
      const scope: ClientScope = {
        workspaceId: imp.workspaceId,
        clientId: imp.clientId,
        userId: imp.createdBy,
        role: 'member',
      }
      const pipelineId = await defaultPipelineId(trx, scope)
      const stage = (await stagesOf(trx, pipelineId))[0]!
      // Earlier rows (of this file or another) hold their keys as contacts by now: a later row with one is a duplicate.
      const held = await holders(
        trx,
        imp.clientId,
        rows.flatMap((r) => keysOf(r.lead)),
      )
      let imported = 0
      let duplicates = 0
      for (const r of rows) {
        const existing = keysOf(r.lead)
          .map((k) => held.get(k))
          .find(Boolean)
        if (existing) {
          duplicates++
          await setRow(trx, importId, r.rowNumber, { status: 'duplicate', contactId: existing })
          continue
        }
        const lead = r.lead
        const contact = await insertContact(trx, events, {
          workspaceId: imp.workspaceId,
          clientId: imp.clientId,
          name: lead.name ?? lead.phone ?? lead.email!,
          phones: lead.phone ? [lead.phone] : [],
          emails: lead.email ? [lead.email] : [],
          identities: [],
          tags: lead.tags,
          companyId: lead.company ? await companyId(trx, scope, lead.company) : null,
          createdBy: imp.createdBy,
          source: 'import',
        })
        for (const k of keysOf(lead)) held.set(k, contact.id)
        const deal = await insertDeal(trx, events, scope, {
          contactId: contact.id,
          pipelineId,
          stage,
          title: lead.dealTitle ?? contact.name,
          valueMinor: lead.dealValueMinor ?? 0,
          currency: imp.currency,
        })
        await events.emit(trx, 'crm.lead-imported', {
          workspaceId: imp.workspaceId,
          clientId: imp.clientId,
          importId,
          source: imp.source,
          row: r.rowNumber,
          contactId: contact.id,
          dealId: deal.id,
        })
        imported++
        await setRow(trx, importId, r.rowNumber, { status: 'imported', contactId: contact.id, dealId: deal.id })
      }
      await trx
        .updateTable('crmImports')
        .set({ imported: sql`imported + ${imported}`, duplicates: sql`duplicates + ${duplicates}` })
        .where('id', '=', importId)
        .execute()
      return true
    })

  const setRow = (
    trx: Kysely<CrmTables>,
    importId: string,
    row: number,
    set: { status: 'imported' | 'duplicate'; contactId: string; dealId?: string },
  ) =>
    trx
      .updateTable('crmImportRows')
      .set({ ...set, dealId: set.dealId ?? null })
      .where('importId', '=', importId)
      .where('rowNumber', '=', row)
      .execute()

  /** The client's company of that name (case-insensitive), made when it has none. */
  const companyId = async (trx: Kysely<CrmTables>, scope: ClientScope, name: string) => {
    const found = await trx
      .selectFrom('crmCompanies')
      .select('id')
      .where('clientId', '=', scope.clientId)
      .where(sql<boolean>`lower(name) = lower(${name})`)
      .executeTakeFirst()
    if (found) return found.id
    const id = newId('co')
    await trx
      .insertInto('crmCompanies')
      .values({ id, workspaceId: scope.workspaceId, clientId: scope.clientId, name, domain: null })
      .execute()
    return id
  }

  const importRow = async (h: Kysely<CrmTables>, clientId: string, id: string) => {
    const row = await h
      .selectFrom('crmImports')
      .selectAll()
      .where('clientId', '=', clientId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw crmErrors.import_not_found()
    return row
  }

  /** A dry run: what importing the file would do now, nothing written. */
  const dryRun = async (scope: ClientScope, body: ImportCreate, checked: CheckedRow[]): Promise<ImportDto> => {
    const valid = checked.filter((c) => !c.errors.length)
    const held = await holders(
      db,
      scope.clientId,
      valid.flatMap((c) => keysOf(c.lead)),
    )
    const seen = new Map<string, number>()
    const problems: ImportDto['problems'] = []
    let duplicates = 0
    for (const c of checked) {
      if (c.errors.length) {
        problems.push(rowDto({ row: c.row, status: 'invalid', lead: c.lead, errors: c.errors }))
        continue
      }
      const keys = keysOf(c.lead)
      const existing = keys.map((k) => held.get(k)).find(Boolean)
      const earlier = keys.map((k) => seen.get(k)).find((n) => n !== undefined)
      for (const k of keys) if (!seen.has(k)) seen.set(k, c.row)
      if (existing || earlier !== undefined) {
        duplicates++
        problems.push(
          rowDto({
            row: c.row,
            status: 'duplicate',
            lead: c.lead,
            contactId: existing ?? null,
            errors: existing ? [] : [{ code: 'duplicate_row', message: `Same phone or email as row ${earlier}.` }],
          }),
        )
      }
    }
    const invalid = checked.length - valid.length
    return {
      id: null,
      source: body.source,
      kind: 'csv',
      status: 'dry_run',
      counts: {
        total: checked.length,
        valid: valid.length,
        imported: valid.length - duplicates,
        duplicates,
        invalid,
        pending: 0,
      },
      problems: problems.slice(0, DRY_RUN_PROBLEMS),
      pages: [],
      createdAt: null,
      finishedAt: null,
    }
  }

  /** The import replayed under its Idempotency-Key; another request under the same key is a 409. */
  const replayed = async (scope: ClientScope, key: string | undefined, hash: string) => {
    if (!key) return undefined
    const found = await db
      .selectFrom('crmImports')
      .selectAll()
      .where('clientId', '=', scope.clientId)
      .where('idempotencyKey', '=', key)
      .executeTakeFirst()
    if (found && found.fileHash !== hash) throw crmErrors.import_key_reused()
    return found
  }
  const dtoOf = async (row: ImportRow) => importDto(row, row.kind === 'pages' ? await deps.pages.pages(row.id) : [])

  /** Stores an import with its rows or pages (`fill`), audited, its job enqueued, in one transaction (202). */
  const store = async (
    scope: ClientScope,
    body: { source: string; currency: string },
    kind: 'csv' | 'pages',
    hash: string,
    key: string | undefined,
    meta: RequestMeta,
    size: number,
    fill: (trx: Kysely<CrmTables>, id: string) => Promise<{ total: number; invalid: number }>,
  ) => {
    const earlier = await replayed(scope, key, hash)
    if (earlier) return { created: false, dto: await dtoOf(earlier) }
    const id = newId('imp')
    try {
      const row = await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('crmImports')
          .values({
            id,
            workspaceId: scope.workspaceId,
            clientId: scope.clientId,
            createdBy: scope.userId,
            source: body.source,
            idempotencyKey: key ?? null,
            fileHash: hash,
            currency: body.currency,
            kind,
            status: 'running',
            total: 0,
          })
          .execute()
        const counts = await fill(trx, id)
        const made = await trx
          .updateTable('crmImports')
          .set(counts)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await deps.audit.record(trx, {
          action: 'import.started',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'crm_import',
          targetId: id,
          ip: meta.ip,
          metadata: { clientId: scope.clientId, source: body.source, kind, [kind === 'csv' ? 'rows' : 'pages']: size },
        })
        await deps.queue.enqueue(trx, runJob, { importId: id })
        return made
      })
      return { created: true, dto: await dtoOf(row) }
    } catch (err) {
      // The same key posted twice at once: the second meets the unique index and answers the first's import.
      if ((err as { code?: string }).code !== '23505') throw err
      const first = await replayed(scope, key, hash)
      if (!first) throw err
      return { created: false, dto: await dtoOf(first) }
    }
  }

  /** A list of pages: a dry run checks the addresses; an import stores them for its job to fetch (never here). */
  const createPages = async (
    scope: ClientScope,
    body: ImportPagesCreate,
    key: string | undefined,
    meta: RequestMeta,
  ) => {
    await deps.features.require(scope.workspaceId, 'page_import')
    const urls = [...new Set(body.urls.map(pageUrl))]
    if (body.dryRun) {
      const pages = await deps.pages.check(urls)
      const dto: ImportDto = {
        id: null,
        kind: 'pages',
        source: body.source,
        status: 'dry_run',
        counts: { total: 0, valid: 0, imported: 0, duplicates: 0, invalid: 0, pending: 0 },
        problems: [],
        pages,
        createdAt: null,
        finishedAt: null,
      }
      return { created: false, dto }
    }
    const hash = createHash('sha256')
      .update(JSON.stringify(['pages', urls, body.source, body.currency]))
      .digest('hex')
    return store(scope, body, 'pages', hash, key, meta, urls.length, async (trx, id) => {
      await trx
        .insertInto('crmImportPages')
        .values(urls.map((url, position) => ({ importId: id, position, url, status: 'pending' as const })))
        .execute()
      return { total: 0, invalid: 0 }
    })
  }

  return {
    clientOf: async (id: string) =>
      (await db.selectFrom('crmImports').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,

    /** The file's headers, the mapping they suggest and the first rows read through the mapping (given or suggested). */
    preview: async (scope: ClientScope, body: ImportCsv) => {
      const file = await read(scope, body)
      return {
        delimiter: file.delimiter,
        headers: file.headers,
        suggestedMapping: suggestMapping(file.headers),
        totalRows: file.rows.length,
        rows: file.rows.slice(0, PREVIEW_ROWS).map(file.check),
      }
    },

    /**
     * A dry run (answered, nothing written), or an import stored with its rows and its job enqueued (202). The same
     * Idempotency-Key with the same request answers the first import; with another file, 409.
     */
    create: async (scope: ClientScope, body: ImportRequest, key: string | undefined, meta: RequestMeta) => {
      if ('urls' in body) return createPages(scope, body, key, meta)
      const file = await read(scope, body)
      const checked = file.rows.map(file.check)
      if (body.dryRun) return { created: false, dto: await dryRun(scope, body, checked) }
      const hash = createHash('sha256')
        .update(JSON.stringify([body.csv, file.mapping, body.source, body.currency, file.delimiter]))
        .digest('hex')
      return store(scope, body, 'csv', hash, key, meta, checked.length, async (trx, id) => {
        for (let i = 0; i < checked.length; i += INSERT_CHUNK)
          await trx
            .insertInto('crmImportRows')
            .values(
              checked.slice(i, i + INSERT_CHUNK).map((c) => ({
                importId: id,
                rowNumber: c.row,
                status: c.errors.length ? ('invalid' as const) : ('pending' as const),
                lead: JSON.stringify(c.lead),
                errors: JSON.stringify(c.errors),
              })),
            )
            .execute()
        return { total: checked.length, invalid: checked.filter((c) => c.errors.length).length }
      })
    },

    /** The client's imports, newest first (paged). */
    list: async (scope: ClientScope, q: PageRequest) => {
      const page = await newestFirstPage(
        db.selectFrom('crmImports').selectAll().where('clientId', '=', scope.clientId),
        q,
      )
      return { items: page.items.map((i) => importDto(i)), nextCursor: page.nextCursor }
    },

    get: async (scope: ClientScope, id: string) => {
      const row = await importRow(db, scope.clientId, id)
      return importDto(row, row.kind === 'pages' ? await deps.pages.pages(id) : [])
    },

    rows: async (scope: ClientScope, id: string, q: ImportRowQuery) => {
      await importRow(db, scope.clientId, id)
      let query = db.selectFrom('crmImportRows').selectAll().where('importId', '=', id)
      if (q.status) query = query.where('status', '=', q.status)
      // Last row first, by the row's line number (the pager's monotonic key).
      const page = await newestSeqFirstPage(query as never, q, 'rowNumber')
      return {
        items: (page.items as unknown as ImportRowRow[]).map((r) => rowDto({ ...r, row: r.rowNumber })),
        nextCursor: page.nextCursor,
      }
    },

    /** Imports every pending row of an import now (what the job does). */
    run: async (importId: string) => {
      while (await runBatch(importId));
    },
    jobs: [runJob],
  }
}
export type Imports = ReturnType<typeof createImports>
