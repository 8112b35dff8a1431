import type { Kysely } from 'kysely'
import type { CrmSettingsDto, CrmSettingsPut } from '../../../contracts/crm.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { crmErrors } from './crm.errors.ts'
import type { CrmTables } from './crm.tables.ts'
import { isKnownCountry } from './phones.ts'

/** The CRM's settings per client: the country a phone without `+` is read in (none by default). */
export const createCrmSettings = ({ db, audit }: { db: Kysely<CrmTables>; audit: AuditService }) => {
  const defaultCountry = async (h: Kysely<CrmTables>, clientId: string) =>
    (await h.selectFrom('crmSettings').select('defaultCountry').where('clientId', '=', clientId).executeTakeFirst())
      ?.defaultCountry ?? null

  return {
    defaultCountry,
    get: async (scope: ClientScope): Promise<CrmSettingsDto> => ({
      defaultCountry: await defaultCountry(db, scope.clientId),
    }),
    put: async (scope: ClientScope, body: CrmSettingsPut): Promise<CrmSettingsDto> => {
      if (body.defaultCountry && !isKnownCountry(body.defaultCountry))
        throw crmErrors.invalid_country({ country: body.defaultCountry })
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('crmSettings')
          .values({ clientId: scope.clientId, workspaceId: scope.workspaceId, defaultCountry: body.defaultCountry })
          .onConflict((oc) =>
            oc.column('clientId').doUpdateSet({ defaultCountry: body.defaultCountry, updatedAt: new Date() }),
          )
          .execute()
        await audit.record(trx, {
          action: 'crm.settings_changed',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'client',
          targetId: scope.clientId,
          metadata: { defaultCountry: body.defaultCountry },
        })
      })
      return { defaultCountry: body.defaultCountry }
    },
  }
}
export type CrmSettings = ReturnType<typeof createCrmSettings>
