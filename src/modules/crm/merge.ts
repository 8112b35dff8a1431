import type { Kysely } from 'kysely'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { contactDto } from './contact-dto.ts'
import { contactRow } from './contacts.ts'
import { crmErrors } from './crm.errors.ts'
import type { CrmTables } from './crm.tables.ts'
import { erasePoints, movePoints } from './points.ts'
import { profiles } from './profiles.ts'

/** The tables whose rows belong to a contact and follow it into the survivor of a merge. */
const FOLLOWERS = ['crmBookings', 'crmDeals', 'crmNotes', 'crmTasks'] as const

/**
 * Merge and erasure (ADR 0006). A merge keeps both contacts: the other is archived with `mergedInto`, its phones,
 * emails, identities and tags move to the survivor, and its bookings, deals, notes and tasks point to the survivor
 * (their stage history and audit trail unchanged). Erasure anonymises a contact in place for a data-protection request.
 */
export const createMerges = ({ db, audit }: { db: Kysely<CrmTables>; audit: AuditService }) => ({
  merge: async (scope: ClientScope, survivorId: string, otherId: string, meta: RequestMeta) => {
    if (survivorId === otherId) throw crmErrors.merge_self()
    return db.transaction().execute(async (trx) => {
      // Both rows locked in id order (two merges of the same pair cannot deadlock).
      const [first, second] = [survivorId, otherId].sort()
      const a = await contactRow(trx, scope.clientId, first!, true)
      const b = await contactRow(trx, scope.clientId, second!, true)
      const survivor = a.id === survivorId ? a : b
      const other = a.id === survivorId ? b : a
      if (survivor.archivedAt) throw crmErrors.contact_archived()
      if (other.mergedInto) throw crmErrors.already_merged()
      if (other.erasedAt) throw crmErrors.contact_erased()
      // Profiles next, in the same order booking writes take them (profile, then the booking rows): no deadlock.
      for (const id of [first!, second!]) await profiles.lock(trx, scope.clientId, id)
      await movePoints(trx, scope.clientId, other.id, survivor.id)
      for (const table of FOLLOWERS)
        await trx
          .updateTable(table as 'crmNotes')
          .set({ contactId: survivor.id })
          .where('clientId', '=', scope.clientId)
          .where('contactId', '=', other.id)
          .execute()
      const now = new Date()
      const row = await trx
        .updateTable('crmContacts')
        .set({
          tags: JSON.stringify([...new Set([...survivor.tags, ...other.tags])]),
          // The survivor's own values win; the other's fill what it lacks.
          fields: JSON.stringify({ ...other.fields, ...survivor.fields }),
          ownerId: survivor.ownerId ?? other.ownerId,
          companyId: survivor.companyId ?? other.companyId,
          updatedAt: now,
        })
        .where('id', '=', survivor.id)
        .returningAll()
        .executeTakeFirstOrThrow()
      await trx
        .updateTable('crmContacts')
        .set({ archivedAt: other.archivedAt ?? now, mergedInto: survivor.id, updatedAt: now })
        .where('id', '=', other.id)
        .execute()
      // The figures follow the bookings: both profiles computed again under their locks.
      for (const id of [first!, second!]) await profiles.recompute(trx, scope.clientId, id)
      const last = await trx
        .selectFrom('crmContactProfiles')
        .select('lastContactAt')
        .where('contactId', '=', other.id)
        .executeTakeFirst()
      if (last?.lastContactAt) await profiles.touch(trx, scope.clientId, survivor.id, last.lastContactAt)
      await audit.record(trx, {
        action: 'contact.merged',
        workspaceId: scope.workspaceId,
        actorUserId: scope.userId,
        targetType: 'crm_contact',
        targetId: survivor.id,
        ip: meta.ip,
        metadata: { clientId: scope.clientId, mergedId: other.id },
      })
      return contactDto(trx, row)
    })
  },

  /** The contact's client, for the operator's erasure (no member scope). */
  erase: async (id: string, reason: string, meta: RequestMeta) => {
    const found = await db.selectFrom('crmContacts').select('clientId').where('id', '=', id).executeTakeFirst()
    if (!found) throw crmErrors.contact_not_found()
    return db.transaction().execute(async (trx) => {
      const current = await contactRow(trx, found.clientId, id, true)
      const now = new Date()
      await erasePoints(trx, id)
      const row = await trx
        .updateTable('crmContacts')
        .set({
          name: 'Erased contact',
          tags: '[]',
          fields: '{}',
          archivedAt: current.archivedAt ?? now,
          erasedAt: current.erasedAt ?? now,
          updatedAt: now,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()
      await audit.record(trx, {
        action: 'contact.erased',
        workspaceId: current.workspaceId,
        targetType: 'crm_contact',
        targetId: id,
        ip: meta.ip,
        metadata: { clientId: current.clientId, reason },
      })
      return contactDto(trx, row)
    })
  },
})
export type Merges = ReturnType<typeof createMerges>
