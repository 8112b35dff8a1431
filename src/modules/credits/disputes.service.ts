import type { Kysely } from 'kysely'
import type { CreditsTables } from './credits.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import type { CreditDispute } from './credits.tables.ts'
import { hasRole, type WorkspaceScope } from '../../platform/http/request-context.ts'
import type { DisputeDto, DisputeStatus } from '../../../contracts/credits.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { creditsErrors } from './credits.errors.ts'
import type { Ledger } from './ledger.ts'
import { disputes as repo } from './credits.repository.ts'

const isAdmin = (scope: WorkspaceScope) => hasRole(scope.role, 'admin')
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505'

/**
 * Disputes of debits. A member files one (one per debit, ever); workspace admins may add notes or withdraw it; only
 * the operator decides: approval refunds the debit through the ledger, keyed by the dispute id, so it refunds once.
 */
export const createDisputesService = ({
  db,
  ledger,
  audit,
  maxOpenPerWorkspace,
  now = () => new Date(),
}: {
  db: Kysely<CreditsTables>
  ledger: Ledger
  audit: AuditService
  maxOpenPerWorkspace: number
  now?: () => Date
}) => {
  /** Disputes with their debit and notes, in the order given. */
  const describe = async (executor: Kysely<CreditsTables>, rows: CreditDispute[]): Promise<DisputeDto[]> => {
    if (!rows.length) return []
    const ids = rows.map((d) => d.id)
    const debits = await repo.debits(
      executor,
      rows.map((d) => d.entryId),
    )
    const notes = await repo.notes(executor, ids)
    const debitOf = new Map(debits.map((e) => [e.id, e]))
    return rows.map((d) => {
      const e = debitOf.get(d.entryId)!
      return {
        id: d.id,
        workspaceId: d.workspaceId,
        entryId: d.entryId,
        amount: Number(e.amount),
        requestId: e.requestId,
        modelId: e.modelId,
        reason: d.reason,
        status: d.status,
        openedBy: d.openedBy,
        notes: notes
          .filter((n) => n.disputeId === d.id)
          .map((n) => ({ id: n.id, authorId: n.authorId, note: n.note, createdAt: n.createdAt.toISOString() })),
        resolutionNote: d.resolutionNote,
        resolvedBy: d.resolvedBy,
        refundEntryId: d.refundEntryId,
        createdAt: d.createdAt.toISOString(),
        resolvedAt: d.resolvedAt?.toISOString() ?? null,
      }
    })
  }
  const one = async (executor: Kysely<CreditsTables>, id: string, workspaceId?: string) => {
    const row = await repo.byId(executor, id, workspaceId)
    if (!row) throw creditsErrors.dispute_not_found()
    return (await describe(executor, [row]))[0]!
  }
  /** The dispute row, locked until the transaction ends: its changes are decided one at a time. */
  const lockOpen = async (trx: Kysely<CreditsTables>, id: string, workspaceId?: string) => {
    const d = await repo.byId(trx, id, workspaceId, true)
    if (!d) throw creditsErrors.dispute_not_found()
    return d
  }

  return {
    /** A member disputes a debit made for them (admins: any debit of the workspace). */
    async open(scope: WorkspaceScope, body: { entryId: string; reason: string }, ip: string) {
      const entry = await repo.entry(db, scope.workspaceId, body.entryId)
      if (!entry || (!isAdmin(scope) && entry.userId !== scope.userId)) throw creditsErrors.entry_not_found()
      if (entry.kind !== 'debit' || entry.amount === 0n) throw creditsErrors.not_disputable()
      const id = newId('dsp')
      try {
        await db.transaction().execute(async (trx) => {
          // Under the account row's lock, two filings cannot both pass the count.
          await repo.lockAccount(trx, scope.workspaceId)
          if ((await repo.countOpen(trx, scope.workspaceId)) >= maxOpenPerWorkspace)
            throw creditsErrors.too_many_open_disputes({ max: maxOpenPerWorkspace })
          await repo.insert(trx, {
            id,
            workspaceId: scope.workspaceId,
            entryId: entry.id,
            openedBy: scope.userId,
            reason: body.reason,
          })
          await audit.record(trx, {
            action: 'credits.dispute_opened',
            workspaceId: scope.workspaceId,
            actorUserId: scope.userId,
            targetType: 'credit_dispute',
            targetId: id,
            ip,
            metadata: { entryId: entry.id },
          })
        })
      } catch (err) {
        if (isUniqueViolation(err)) throw creditsErrors.dispute_exists()
        throw err
      }
      return one(db, id, scope.workspaceId)
    },

    /** Admins see the workspace's disputes; others the ones they filed. */
    async list(scope: WorkspaceScope, q: { status?: DisputeStatus; cursor?: string; limit: number }) {
      const page = await repo.page(db, scope.workspaceId, isAdmin(scope) ? undefined : scope.userId, q, q)
      return { items: await describe(db, page.items), nextCursor: page.nextCursor }
    },

    /** Routes addressed by dispute id find its workspace here, then check the caller's membership there. */
    workspaceOf: async (id: string) => (id.length <= 64 ? await repo.workspaceOf(db, id) : undefined),

    async get(scope: WorkspaceScope, id: string) {
      const d = await one(db, id, scope.workspaceId)
      if (!isAdmin(scope) && d.openedBy !== scope.userId) throw creditsErrors.dispute_not_found()
      return d
    },

    /** A workspace admin adds context for the operator while the dispute is open. */
    async addNote(scope: WorkspaceScope, id: string, note: string, ip: string) {
      return db.transaction().execute(async (trx) => {
        const d = await lockOpen(trx, id, scope.workspaceId)
        if (d.status !== 'open') throw creditsErrors.dispute_resolved({ status: d.status })
        const noteId = newId('dsn')
        await repo.addNote(trx, {
          id: noteId,
          disputeId: id,
          workspaceId: scope.workspaceId,
          authorId: scope.userId,
          note,
        })
        await audit.record(trx, {
          action: 'credits.dispute_note_added',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          subjectUserId: d.openedBy,
          targetType: 'credit_dispute',
          targetId: id,
          ip,
          metadata: { noteId },
        })
        return one(trx, id)
      })
    },

    /** A workspace admin withdraws an open dispute; the debit cannot be disputed again. */
    async withdraw(scope: WorkspaceScope, id: string, note: string | undefined, ip: string) {
      return db.transaction().execute(async (trx) => {
        const d = await lockOpen(trx, id, scope.workspaceId)
        if (d.status !== 'open') throw creditsErrors.dispute_resolved({ status: d.status })
        await repo.resolve(trx, id, {
          status: 'withdrawn',
          resolutionNote: note ?? null,
          resolvedBy: scope.userId,
          resolvedAt: now(),
        })
        await audit.record(trx, {
          action: 'credits.dispute_withdrawn',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          subjectUserId: d.openedBy,
          targetType: 'credit_dispute',
          targetId: id,
          ip,
          metadata: { entryId: d.entryId },
        })
        return one(trx, id)
      })
    },

    /** The operator's queue across workspaces: open disputes first (oldest waiting first), then the rest, newest first. */
    async operatorQueue(q: { status?: DisputeStatus; limit: number }) {
      return describe(db, await repo.operatorQueue(db, q))
    },

    /**
     * The operator approves (a refund entry of the debit, keyed by the dispute id) or rejects, with a note. The same
     * decision again answers the dispute as it stands and refunds nothing more; a different one is a 409.
     */
    async decide(id: string, decision: 'approved' | 'rejected', note: string, requestId: string) {
      return db.transaction().execute(async (trx) => {
        const d = await lockOpen(trx, id)
        if (d.status === decision) return one(trx, id)
        if (d.status !== 'open') throw creditsErrors.dispute_resolved({ status: d.status })
        let refundEntryId: string | null = null
        if (decision === 'approved') {
          const debit = await repo.entry(trx, d.workspaceId, d.entryId)
          if (!debit) throw creditsErrors.entry_not_found()
          const { entry } = await ledger.post(trx, {
            workspaceId: d.workspaceId,
            kind: 'refund',
            amount: -debit.amount,
            requestId: `dispute:${d.id}`,
            refundOf: debit.id,
            reason: `Dispute approved: ${note}`,
            clientId: debit.clientId,
            userId: debit.userId,
          })
          refundEntryId = entry.id
        }
        await repo.resolve(trx, id, {
          status: decision,
          resolutionNote: note,
          resolvedBy: null,
          resolvedAt: now(),
          refundEntryId,
        })
        await audit.record(trx, {
          action: decision === 'approved' ? 'credits.dispute_approved' : 'credits.dispute_rejected',
          workspaceId: d.workspaceId,
          actorUserId: null,
          subjectUserId: d.openedBy,
          targetType: 'credit_dispute',
          targetId: id,
          metadata: { by: 'operator', entryId: d.entryId, refundEntryId, requestId, note },
        })
        return one(trx, id)
      })
    },
  }
}
export type DisputesService = ReturnType<typeof createDisputesService>
