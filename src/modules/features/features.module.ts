import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { IdParam } from '../../../contracts/common.ts'
import {
  FEATURE_KEYS,
  FEATURES,
  FeatureOverridePut,
  FeatureParams,
  FeatureStateDto,
  WorkspaceFeaturesDto,
  type FeatureKey,
} from '../../../contracts/features.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { featuresErrors } from './features.errors.ts'
import type { FeaturesTables } from './features.tables.ts'

/**
 * Feature flags for risky features: the installation's defaults (`FEATURES_OFF`, the operator's) and per-workspace
 * overrides the operator sets (audited). The modules that own a risky feature ask `require` before starting it.
 */
export const createFeaturesModule = (deps: {
  db: Handle
  audit: AuditService
  scope: ScopeResolver
  operator: OperatorGuard
  workspaceExists: (handle: Handle, workspaceId: string) => Promise<boolean>
  /** Features off by default for the installation. */
  off: readonly FeatureKey[]
}) => {
  const db = own<FeaturesTables>(deps.db)
  const defaultOf = (feature: FeatureKey) => !deps.off.includes(feature)

  const states = async (workspaceId: string) => {
    const rows = await db
      .selectFrom('featureOverrides')
      .select(['feature', 'enabled'])
      .where('workspaceId', '=', workspaceId)
      .execute()
    const set = new Map(rows.map((r) => [r.feature, r.enabled]))
    return FEATURE_KEYS.map((feature) => ({
      feature,
      description: FEATURES[feature],
      enabled: set.get(feature) ?? defaultOf(feature),
      default: defaultOf(feature),
      source: set.has(feature) ? ('workspace' as const) : ('default' as const),
    }))
  }

  const enabled = async (workspaceId: string, feature: FeatureKey, handle: Handle = deps.db) => {
    const row = await own<FeaturesTables>(handle)
      .selectFrom('featureOverrides')
      .select('enabled')
      .where('workspaceId', '=', workspaceId)
      .where('feature', '=', feature)
      .executeTakeFirst()
    return row?.enabled ?? defaultOf(feature)
  }

  /** Throws 403 `features.disabled` when the feature is off for the workspace. */
  const require = async (workspaceId: string, feature: FeatureKey, handle?: Handle) => {
    if (!(await enabled(workspaceId, feature, handle))) throw featuresErrors.disabled({ feature })
  }

  const override = (workspaceId: string, feature: FeatureKey, body: FeatureOverridePut) =>
    db.transaction().execute(async (trx) => {
      if (!(await deps.workspaceExists(trx, workspaceId))) throw featuresErrors.workspace_not_found()
      const before = await enabled(workspaceId, feature, trx)
      if (body.enabled === null)
        await trx
          .deleteFrom('featureOverrides')
          .where('workspaceId', '=', workspaceId)
          .where('feature', '=', feature)
          .execute()
      else
        await trx
          .insertInto('featureOverrides')
          .values({ workspaceId, feature, enabled: body.enabled, reason: body.reason })
          .onConflict((oc) =>
            oc
              .columns(['workspaceId', 'feature'])
              .doUpdateSet({ enabled: body.enabled as boolean, reason: body.reason, updatedAt: new Date() }),
          )
          .execute()
      await deps.audit.record(trx, {
        action: 'feature.overridden',
        workspaceId,
        targetType: 'workspace',
        targetId: workspaceId,
        metadata: {
          feature,
          from: before,
          to: body.enabled ?? defaultOf(feature),
          override: body.enabled,
          reason: body.reason,
        },
      })
    })

  const routes = async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    app.get(
      '/api/workspaces/:id/features',
      {
        schema: {
          tags: ['features'],
          summary:
            "Which risky features are on for the workspace (the installation's default or the operator's override)",
          params: IdParam,
          response: { 200: WorkspaceFeaturesDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => ({ items: await states((await deps.scope.workspace(req, 'viewer', req.params.id)).workspaceId) }),
    )
    const op = { config: { public: true }, preValidation: async (req: FastifyRequest) => deps.operator(req) }
    app.get(
      '/api/operator/workspaces/:id/features',
      {
        ...op,
        schema: {
          tags: ['operator'],
          summary: "A workspace's risky features: default, override and the result",
          params: IdParam,
          response: { 200: WorkspaceFeaturesDto, ...errorResponses(401, 404, 503) },
        },
      },
      async (req) => {
        if (!(await deps.workspaceExists(deps.db, req.params.id))) throw featuresErrors.workspace_not_found()
        return { items: await states(req.params.id) }
      },
    )
    app.put(
      '/api/operator/workspaces/:id/features/:feature',
      {
        ...op,
        schema: {
          tags: ['operator'],
          summary:
            'Switches a risky feature on or off for one workspace (`enabled: null` returns it to the default). Audited',
          params: FeatureParams,
          body: FeatureOverridePut,
          response: { 200: FeatureStateDto, ...errorResponses(400, 401, 404, 503) },
        },
      },
      async (req) => {
        await override(req.params.id, req.params.feature, req.body)
        return (await states(req.params.id)).find((s) => s.feature === req.params.feature)!
      },
    )
  }

  return { enabled, require, states, routes: [routes], jobs: [] } satisfies ModuleShape
}
export type FeaturesModule = ReturnType<typeof createFeaturesModule>
export type FeatureGate = Pick<FeaturesModule, 'require' | 'enabled'>
