import type { AuthenticationCreds, AuthenticationState, SignalDataSet, SignalDataTypeMap } from 'baileys'
import type { Kysely } from 'kysely'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import type { ChannelsTables } from './channels.tables.ts'
import type { Sessions } from './sessions.ts'

/** Rows of one batch: a value to store (BufferJSON text), or null to delete the key. */
type Write = { type: string; id: string; value: string | null }
const CREDS = { type: 'creds', id: '' }

/**
 * A QR number's Baileys auth state in the database (ADR 0005 §4): creds and every Signal key as rows, serialised with
 * Baileys' `BufferJSON` and sealed with SECRET_KEY (owner: channel, type and id, so a value copied to another row does
 * not open). Every write holds the number's fence (`sessions.fenced`) and resolves after its commit: Baileys awaits
 * `keys.set` before it acknowledges what it received, so nothing acknowledged is lost, and a process that lost the
 * number cannot write a key again. Baileys is imported here, on demand: a server without QR numbers never loads it.
 */
export const createAuthStore = ({
  db,
  box,
  sessions,
}: {
  db: Kysely<ChannelsTables>
  box: SecretBox
  sessions: Sessions
}) => {
  const owner = (channelId: string, type: string, id: string) => `channel:${channelId}:auth:${type}:${id}`

  /** Baileys' auth state for a number this process holds with `fence`, and the calls a driver makes besides. */
  const open = async (channelId: string, fence: bigint) => {
    const { BufferJSON, initAuthCreds, proto } = await import('baileys')
    const encode = (value: unknown) => JSON.stringify(value, BufferJSON.replacer)
    const decode = (type: string, id: string, sealed: string): unknown =>
      JSON.parse(box.open(sealed, owner(channelId, type, id)), BufferJSON.reviver)

    const write = (rows: Write[]) =>
      sessions.fenced(channelId, fence, async (trx) => {
        const stored = rows.filter((r) => r.value !== null)
        const removed = rows.filter((r) => r.value === null)
        if (stored.length)
          await trx
            .insertInto('channelAuth')
            .values(
              stored.map((r) => ({
                channelId,
                type: r.type,
                id: r.id,
                value: box.seal(r.value!, owner(channelId, r.type, r.id)),
              })),
            )
            .onConflict((oc) =>
              oc.columns(['channelId', 'type', 'id']).doUpdateSet((eb) => ({
                value: eb.ref('excluded.value'),
                updatedAt: new Date(),
              })),
            )
            .execute()
        for (const r of removed)
          await trx
            .deleteFrom('channelAuth')
            .where('channelId', '=', channelId)
            .where('type', '=', r.type)
            .where('id', '=', r.id)
            .execute()
      })

    const credsRow = await db
      .selectFrom('channelAuth')
      .select('value')
      .where('channelId', '=', channelId)
      .where('type', '=', CREDS.type)
      .where('id', '=', CREDS.id)
      .executeTakeFirst()
    const creds = credsRow ? (decode(CREDS.type, CREDS.id, credsRow.value) as AuthenticationCreds) : initAuthCreds()

    const state: AuthenticationState = {
      creds,
      keys: {
        get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
          const found: { [id: string]: SignalDataTypeMap[T] } = {}
          if (!ids.length) return found
          const rows = await db
            .selectFrom('channelAuth')
            .select(['id', 'value'])
            .where('channelId', '=', channelId)
            .where('type', '=', type)
            .where('id', 'in', ids)
            .execute()
          for (const r of rows) {
            const value = decode(type, r.id, r.value)
            found[r.id] = (
              type === 'app-state-sync-key' ? proto.Message.AppStateSyncKeyData.fromObject(value as object) : value
            ) as SignalDataTypeMap[T]
          }
          return found
        },
        set: async (data: SignalDataSet) => {
          const rows: Write[] = []
          for (const [type, byId] of Object.entries(data))
            for (const [id, value] of Object.entries(byId ?? {}))
              rows.push({ type, id, value: value === null || value === undefined ? null : encode(value) })
          if (rows.length) await write(rows)
        },
      },
    }

    return {
      state,
      /** Stores the creds as they are now (Baileys emits `creds.update` after changing them in place). */
      saveCreds: () => write([{ ...CREDS, value: encode(state.creds) }]),
      /** Deletes every key and the creds (WhatsApp logged the number out: the next start shows a QR). */
      wipe: () =>
        sessions.fenced(channelId, fence, (trx) =>
          trx.deleteFrom('channelAuth').where('channelId', '=', channelId).execute(),
        ),
    }
  }

  return {
    open,
    /** Whether a number has creds stored (it was paired, and WhatsApp has not logged it out). */
    paired: async (channelId: string) =>
      Boolean(
        await db
          .selectFrom('channelAuth')
          .select('id')
          .where('channelId', '=', channelId)
          .where('type', '=', CREDS.type)
          .executeTakeFirst(),
      ),
  }
}
export type AuthStore = ReturnType<typeof createAuthStore>
export type OpenedAuth = Awaited<ReturnType<AuthStore['open']>>
