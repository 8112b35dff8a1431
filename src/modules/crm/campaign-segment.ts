import { sql, type Kysely } from 'kysely'
import type { CampaignSegmentValue, CrmTables } from './crm.tables.ts'
import { addressesOf, optedOut } from './opt-outs.ts'

/** At most this many recipients per campaign: a larger audience is split into several campaigns. */
export const MAX_RECIPIENTS = 10_000

export type SegmentMember = {
  contactId: string
  name: string
  /** Where the number sends: a Cloud number needs phone digits; a QR number takes a LID too. Null: unreachable. */
  address: string | null
  optedOut: boolean
}

const dayAfter = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000)

/**
 * The client's live contacts a segment selects (never archived, merged or erased), oldest first, at most
 * {@link MAX_RECIPIENTS} + 1 (one more tells the caller it is too large), each with the address the number would send
 * to and whether that contact opted out (any of its addresses).
 */
export const evaluateSegment = async (
  h: Kysely<CrmTables>,
  clientId: string,
  segment: CampaignSegmentValue,
  kind: 'qr' | 'cloud',
): Promise<SegmentMember[]> => {
  let q = h
    .selectFrom('crmContacts')
    .leftJoin('crmContactProfiles', 'crmContactProfiles.contactId', 'crmContacts.id')
    .select(['crmContacts.id', 'crmContacts.name'])
    .where('crmContacts.clientId', '=', clientId)
    .where('crmContacts.archivedAt', 'is', null)
    .where('crmContacts.erasedAt', 'is', null)
    .where('crmContacts.mergedInto', 'is', null)
  if (segment.tagsAny?.length)
    q = q.where(sql<boolean>`crm_contacts.tags ?| array[${sql.join(segment.tagsAny)}]::text[]`)
  if (segment.tagsAll?.length) q = q.where(sql<boolean>`crm_contacts.tags @> ${JSON.stringify(segment.tagsAll)}::jsonb`)
  if (segment.createdFrom) q = q.where('crmContacts.createdAt', '>=', new Date(`${segment.createdFrom}T00:00:00Z`))
  if (segment.createdTo) q = q.where('crmContacts.createdAt', '<', dayAfter(segment.createdTo))
  if (segment.lastContactFrom)
    q = q.where('crmContactProfiles.lastContactAt', '>=', new Date(`${segment.lastContactFrom}T00:00:00Z`))
  if (segment.lastContactTo) q = q.where('crmContactProfiles.lastContactAt', '<', dayAfter(segment.lastContactTo))
  if (segment.hasWhatsApp)
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('crmContactIdentities as i')
          .select('i.id')
          .whereRef('i.contactId', '=', 'crmContacts.id')
          .where('i.state', '=', 'active'),
      ),
    )
  if (segment.hasPhone)
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('crmContactPhones as p')
          .select('p.id')
          .whereRef('p.contactId', '=', 'crmContacts.id')
          .where('p.state', '=', 'active'),
      ),
    )
  const contacts = await q
    .orderBy('crmContacts.createdAt')
    .orderBy('crmContacts.id')
    .limit(MAX_RECIPIENTS + 1)
    .execute()
  const members: SegmentMember[] = []
  for (let i = 0; i < contacts.length; i += 1000) {
    const chunk = contacts.slice(i, i + 1000)
    const addresses = await addressesOf(
      h,
      clientId,
      chunk.map((c) => c.id),
    )
    const out = await optedOut(h, clientId, [...addresses.values()].flat())
    for (const c of chunk) {
      const all = addresses.get(c.id) ?? []
      const usable = kind === 'cloud' ? all.filter((a) => !a.endsWith('@lid')) : all
      members.push({
        contactId: c.id,
        name: c.name,
        address: usable[0] ?? null,
        optedOut: all.some((a) => out.has(a)),
      })
    }
  }
  return members
}
