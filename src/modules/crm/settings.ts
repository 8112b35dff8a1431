import type { Kysely } from 'kysely'
import type { CrmSettingsDto, CrmSettingsPut } from '../../../contracts/crm.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { isTimeZone } from './bookings.ts'
import { crmErrors } from './crm.errors.ts'
import type { CrmTables } from './crm.tables.ts'
import { zoneOfCountry } from './extract-rules.ts'
import { isKnownCountry } from './phones.ts'

/**
 * The CRM's settings per client: the country a phone without `+` is read in (none by default), and the client's time
 * zone (none by default: the country's first zone, else UTC).
 */
export const createCrmSettings = ({ db, audit }: { db: Kysely<CrmTables>; audit: AuditService }) => {
  const read = async (h: Kysely<CrmTables>, clientId: string): Promise<CrmSettingsDto> => {
    const row = await h
      .selectFrom('crmSettings')
      .select(['defaultCountry', 'timeZone'])
      .where('clientId', '=', clientId)
      .executeTakeFirst()
    return { defaultCountry: row?.defaultCountry ?? null, timeZone: row?.timeZone ?? null }
  }
  const defaultCountry = async (h: Kysely<CrmTables>, clientId: string) => (await read(h, clientId)).defaultCountry

  return {
    defaultCountry,
    /** The zone of a booking that names none: the client's own, else its default country's first, else UTC. */
    zoneOf: async (h: Kysely<CrmTables>, clientId: string) => {
      const s = await read(h, clientId)
      return s.timeZone ?? zoneOfCountry(s.defaultCountry) ?? 'UTC'
    },
    get: (scope: ClientScope): Promise<CrmSettingsDto> => read(db, scope.clientId),
    put: async (scope: ClientScope, body: CrmSettingsPut): Promise<CrmSettingsDto> => {
      if (body.defaultCountry && !isKnownCountry(body.defaultCountry))
        throw crmErrors.invalid_country({ country: body.defaultCountry })
      if (body.timeZone && !isTimeZone(body.timeZone)) throw crmErrors.invalid_time_zone({ timeZone: body.timeZone })
      // Stored as Intl names it (`europe/bucharest` → `Europe/Bucharest`).
      const zone =
        body.timeZone === undefined
          ? {}
          : {
              timeZone:
                body.timeZone && new Intl.DateTimeFormat('en', { timeZone: body.timeZone }).resolvedOptions().timeZone,
            }
      return db.transaction().execute(async (trx) => {
        await trx
          .insertInto('crmSettings')
          .values({
            clientId: scope.clientId,
            workspaceId: scope.workspaceId,
            defaultCountry: body.defaultCountry,
            ...zone,
          })
          .onConflict((oc) =>
            oc.column('clientId').doUpdateSet({ defaultCountry: body.defaultCountry, ...zone, updatedAt: new Date() }),
          )
          .execute()
        const settings = await read(trx, scope.clientId)
        await audit.record(trx, {
          action: 'crm.settings_changed',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'client',
          targetId: scope.clientId,
          metadata: settings,
        })
        return settings
      })
    },
  }
}
export type CrmSettings = ReturnType<typeof createCrmSettings>
