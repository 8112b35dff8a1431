import { sql } from 'kysely'
import { own, type Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import type { Emits } from '../../platform/events/events.ts'
import type { InboundEvent } from '../inbox/inbox.module.ts'
import { insertContact } from './contacts.ts'
import type { CrmEvents } from './crm.events.ts'
import type { CrmTables } from './crm.tables.ts'
import { phoneOfDigits } from './phones.ts'
import { addPoint, holderOf } from './points.ts'
import { profiles } from './profiles.ts'
import { optOutKeyword, type OptOuts } from './opt-outs.ts'

/**
 * The CRM fed by the inbox: the inbox's inbound subscriber, run in the transaction that stores what contacts write.
 * A WhatsApp identity no contact of the client has becomes a contact (its WhatsApp name, its phone when known) — or
 * joins the live contact that already has that phone. Idempotent: an advisory lock per (client, identity) orders two
 * transactions storing messages of the same new person, and the second finds the first one's contact. Every message
 * moves the contact's last contact time forward. A message that is only an opt-out keyword (STOP) records the opt-out.
 */
export const createIntake = ({ events, optOuts }: { events: Emits<CrmEvents>; optOuts: Pick<OptOuts, 'record'> }) => ({
  received: async (handle: Handle, inbound: InboundEvent[]) => {
    const trx = own<CrmTables>(handle)
    const latest = new Map<string, InboundEvent>()
    for (const e of inbound) {
      const key = `${e.clientId}\u0000${e.contact.waId}`
      const seen = latest.get(key)
      if (!seen || seen.message.at < e.message.at) latest.set(key, e)
    }
    for (const e of latest.values()) {
      const waId = e.contact.waId
      await sql`select pg_advisory_xact_lock(hashtext(${`crm:${e.clientId}:${waId}`}))`.execute(trx)
      let contactId = await holderOf(trx, 'identity', e.clientId, waId)
      if (!contactId) {
        const phone = phoneOfDigits(e.contact.phone) ?? phoneOfDigits(waId)
        const byPhone = phone ? await holderOf(trx, 'phone', e.clientId, phone) : null
        if (byPhone) {
          contactId = byPhone
          await addPoint(trx, 'identity', { clientId: e.clientId, contactId, value: waId, live: true })
        } else {
          const row = await insertContact(trx, events, {
            workspaceId: e.workspaceId,
            clientId: e.clientId,
            name: e.contact.name?.trim().slice(0, 200) || phone || waId,
            phones: [],
            emails: [],
            identities: [waId],
            createdBy: null,
            source: 'inbox',
          })
          contactId = row.id
          // A phone a live contact took meanwhile stays with that contact (no 409 inside the inbox's transaction).
          if (phone)
            await trx
              .insertInto('crmContactPhones')
              .values({ id: newId('cph'), clientId: e.clientId, contactId, phone, state: 'active' })
              .onConflict((oc) => oc.doNothing())
              .execute()
        }
      }
      await profiles.touch(trx, e.clientId, contactId, new Date(e.message.at))
    }
    // A whole message that is an opt-out keyword (STOP, DEZABONARE…) opts the sender out, in this transaction.
    for (const e of inbound) {
      const keyword = optOutKeyword(e.message.text)
      if (!keyword) continue
      const contactId = await holderOf(trx, 'identity', e.clientId, e.contact.waId)
      if (!contactId) continue
      const phone = phoneOfDigits(e.contact.phone)?.replace(/^\+/, '')
      await optOuts.record(trx, {
        workspaceId: e.workspaceId,
        clientId: e.clientId,
        contactId,
        addresses: [...new Set([e.contact.waId, ...(phone ? [phone] : [])])],
        keyword,
        messageId: e.message.id,
      })
    }
    return () => {}
  },
})
export type Intake = ReturnType<typeof createIntake>
