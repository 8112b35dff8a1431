import type { Kysely } from 'kysely'
import type { ConsentDto } from '../../../contracts/crm-campaigns.ts'
import { newId } from '../../platform/db/ids.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { CrmTables } from './crm.tables.ts'

/** Whole messages that opt a contact out (compared folded: trimmed, lower case, without diacritics or end marks). */
const STOP_WORDS = new Set(['stop', 'unsubscribe', 'stop all', 'stopall', 'dezabonare', 'dezabonez'])

/** The keyword a message is, when the whole message is an opt-out keyword (`STOP`, ` Dezabonare! `…); else null. */
export const optOutKeyword = (text: string | null) => {
  if (!text || text.length > 40) return null
  const folded = text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[.!\s]+$/u, '')
    .replace(/^[\s]+/u, '')
    .replace(/\s+/gu, ' ')
  return STOP_WORDS.has(folded) ? folded : null
}

/** A contact's WhatsApp addresses as chats name them: identities, and phones' digits without `+`. */
export const addressesOf = async (h: Kysely<CrmTables>, clientId: string, contactIds: string[]) => {
  const by = new Map<string, string[]>()
  if (!contactIds.length) return by
  const add = (contactId: string, a: string | null) => {
    if (!a) return
    const list = by.get(contactId) ?? []
    if (!list.includes(a)) list.push(a)
    by.set(contactId, list)
  }
  for (const r of await h
    .selectFrom('crmContactIdentities')
    .select(['contactId', 'waId'])
    .where('clientId', '=', clientId)
    .where('contactId', 'in', contactIds)
    .where('state', '<>', 'removed')
    .orderBy('createdAt')
    .execute())
    add(r.contactId, r.waId)
  for (const r of await h
    .selectFrom('crmContactPhones')
    .select(['contactId', 'phone'])
    .where('clientId', '=', clientId)
    .where('contactId', 'in', contactIds)
    .where('state', '=', 'active')
    .orderBy('createdAt')
    .execute())
    add(r.contactId, r.phone?.replace(/^\+/, '') ?? null)
  return by
}

/** The addresses among these that are opted out now (the newest row of each says so). */
export const optedOut = async (h: Kysely<CrmTables>, clientId: string, addresses: string[]) => {
  const out = new Set<string>()
  for (let i = 0; i < addresses.length; i += 1000) {
    const chunk = addresses.slice(i, i + 1000)
    if (!chunk.length) continue
    const rows = await h
      .selectFrom('crmOptOuts')
      .select(['address', 'state'])
      .distinctOn('address')
      .where('clientId', '=', clientId)
      .where('address', 'in', chunk)
      .orderBy('address')
      .orderBy('seq', 'desc')
      .execute()
    for (const r of rows) if (r.state === 'opted_out') out.add(r.address)
  }
  return out
}

/**
 * Opt-outs (issue 14 §9): recorded in the transaction that stores the STOP message (the inbox's inbound subscriber),
 * never deleted; an opt-in back is a new row, recorded by an admin with a reason and audited.
 */
export const createOptOuts = ({ db, audit }: { db: Kysely<CrmTables>; audit: AuditService }) => ({
  /** Records an opt-out of these addresses for a contact (no new row for an address already opted out). */
  async record(
    trx: Kysely<CrmTables>,
    p: {
      workspaceId: string
      clientId: string
      contactId: string
      addresses: string[]
      keyword: string
      messageId: string
    },
  ) {
    const already = await optedOut(trx, p.clientId, p.addresses)
    const fresh = p.addresses.filter((a) => !already.has(a))
    if (!fresh.length) return
    await trx
      .insertInto('crmOptOuts')
      .values(
        fresh.map((address) => ({
          id: newId('opt'),
          workspaceId: p.workspaceId,
          clientId: p.clientId,
          address,
          state: 'opted_out' as const,
          contactId: p.contactId,
          keyword: p.keyword,
          messageId: p.messageId,
        })),
      )
      .execute()
    await audit.record(trx, {
      action: 'contact.opted_out',
      workspaceId: p.workspaceId,
      actorUserId: null,
      targetType: 'crm_contact',
      targetId: p.contactId,
      metadata: { clientId: p.clientId, keyword: p.keyword, messageId: p.messageId, addresses: fresh },
    })
  },

  /** Whether a contact is opted out now, and every opt-out and opt-in of its addresses, newest first. */
  async consent(scope: ClientScope, contactId: string): Promise<ConsentDto> {
    const addresses = (await addressesOf(db, scope.clientId, [contactId])).get(contactId) ?? []
    const rows = addresses.length
      ? await db
          .selectFrom('crmOptOuts')
          .selectAll()
          .where('clientId', '=', scope.clientId)
          .where((eb) => eb.or([eb('address', 'in', addresses), eb('contactId', '=', contactId)]))
          .orderBy('seq', 'desc')
          .limit(100)
          .execute()
      : []
    const out = await optedOut(db, scope.clientId, addresses)
    const since = rows.find((r) => r.state === 'opted_out' && out.has(r.address))
    return {
      optedOut: out.size > 0,
      since: since?.createdAt.toISOString() ?? null,
      history: rows.map((r) => ({
        address: r.address,
        state: r.state,
        keyword: r.keyword,
        reason: r.reason,
        at: r.createdAt.toISOString(),
      })),
    }
  },

  /** Records that a contact asked to receive campaigns again (each opted-out address gets an opt-in row). Audited. */
  async optIn(scope: ClientScope, contactId: string, reason: string, meta: RequestMeta) {
    await db.transaction().execute(async (trx) => {
      const addresses = (await addressesOf(trx, scope.clientId, [contactId])).get(contactId) ?? []
      const out = [...(await optedOut(trx, scope.clientId, addresses))]
      if (!out.length) return
      await trx
        .insertInto('crmOptOuts')
        .values(
          out.map((address) => ({
            id: newId('opt'),
            workspaceId: scope.workspaceId,
            clientId: scope.clientId,
            address,
            state: 'opted_in' as const,
            contactId,
            actorUserId: scope.userId,
            reason,
          })),
        )
        .execute()
      await audit.record(trx, {
        action: 'contact.opted_in',
        workspaceId: scope.workspaceId,
        actorUserId: scope.userId,
        targetType: 'crm_contact',
        targetId: contactId,
        ip: meta.ip,
        metadata: { clientId: scope.clientId, reason, addresses: out, requestId: meta.requestId },
      })
    })
    return this.consent(scope, contactId)
  },
})
export type OptOuts = ReturnType<typeof createOptOuts>
