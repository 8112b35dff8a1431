import { sql, type Kysely } from 'kysely'
import type { FlowGraph } from '../../../../contracts/flows.ts'
import { own, type Handle } from '../../../platform/db/database.ts'
import type { FlowsTables } from '../flows.tables.ts'
import {
  bookingSavedSpec,
  contactCreatedSpec,
  CRM_TRIGGERS,
  dealStageChangedSpec,
  leadImportedSpec,
  type CrmTriggerType,
} from '../nodes/crm.ts'
import type { Engine } from './engine.ts'

/** What the CRM tells the bus (its `CrmEvents`, structurally: flows never import the CRM). */
type Base = { workspaceId: string; clientId: string }
export type CrmEventPayloads = {
  'crm.lead-imported': Base & {
    importId: string
    source: string
    row: number
    contactId: string
    dealId: string
  }
  'crm.contact-created': Base & { contactId: string; source: string }
  'crm.deal-stage-changed': Base & {
    dealId: string
    contactId: string
    changeId: string
    fromStageId: string | null
    toStageId: string
    status: string
  }
  'crm.booking-saved': Base & { bookingId: string; contactId: string; created: boolean; status: string }
}

/** Per trigger: its config's filter, the run's input and its trigger key (one run per flow and event). */
const RULES: {
  [K in CrmTriggerType]: {
    matches: (config: unknown, e: CrmEventPayloads[K]) => boolean
    key: (e: CrmEventPayloads[K]) => string
  }
} = {
  [CRM_TRIGGERS.leadImported]: {
    matches: (c, e) => {
      const config = leadImportedSpec.config.parse(c)
      return !config.source || config.source === e.source
    },
    key: (e) => `crm.lead-imported:${e.importId}:${e.row}`,
  },
  [CRM_TRIGGERS.contactCreated]: {
    matches: (c, e) => {
      const config = contactCreatedSpec.config.parse(c)
      return !config.source || config.source === e.source
    },
    key: (e) => `crm.contact-created:${e.contactId}`,
  },
  [CRM_TRIGGERS.dealStageChanged]: {
    matches: (c, e) => {
      const config = dealStageChangedSpec.config.parse(c)
      return !config.stageId || config.stageId === e.toStageId
    },
    key: (e) => `crm.deal-stage-changed:${e.changeId}`,
  },
  [CRM_TRIGGERS.bookingSaved]: {
    matches: (c, e) => {
      const config = bookingSavedSpec.config.parse(c)
      return (!config.createdOnly || e.created) && (!config.status || config.status === e.status)
    },
    key: () => '',
  },
}

type Candidate = { flowId: string; versionId: string; publisher: string; config: unknown }

/**
 * The CRM triggers. Each handler is registered on the event bus by the container and runs in the transaction that
 * changed the CRM: it finds the client's active flows whose published version starts with that trigger and opens one
 * run per matching flow right there (queued, unclaimed), so the run exists exactly when the change commits — a lead
 * imported is told once, whatever retries the import's job makes. Its first slice is taken by the `flows.advance` job
 * enqueued in the same transaction, and failing that by the engine's reaper (queued runs nobody holds). Trigger keys
 * (`crm.lead-imported:<import>:<row>`, …) make a start asked twice answer the first run; a booking's saves have no
 * natural id, so each save is its own run.
 */
export const createCrmTriggers = ({ engine }: { engine: Pick<Engine, 'startRun' | 'enqueueSlice'> }) => {
  /** The flows of a client starting with `type`; looked up once per transaction and type (a batch tells many). */
  const cache = new WeakMap<object, Map<string, Candidate[]>>()
  const candidates = async (h: Handle, type: CrmTriggerType, clientId: string) => {
    const perHandle = cache.get(h) ?? new Map<string, Candidate[]>()
    cache.set(h, perHandle)
    const hit = perHandle.get(`${type}:${clientId}`)
    if (hit) return hit
    const trx: Kysely<FlowsTables> = own<FlowsTables>(h)
    const rows = await trx
      .selectFrom('flows')
      .innerJoin('flowVersions', 'flowVersions.id', 'flows.publishedVersionId')
      .select(['flows.id as flowId', 'flowVersions.id as versionId', 'flowVersions.graph'])
      .select('flowVersions.createdBy as publisher')
      .where('flows.clientId', '=', clientId)
      .where('flows.state', '=', 'active')
      .where(sql<boolean>`flow_versions.graph -> 'nodes' @> ${JSON.stringify([{ type }])}::jsonb`)
      .execute()
    const found = rows.map((r) => ({
      flowId: r.flowId,
      versionId: r.versionId,
      publisher: r.publisher,
      config: (r.graph as FlowGraph).nodes.find((n) => n.type === type)?.config ?? {},
    }))
    perHandle.set(`${type}:${clientId}`, found)
    return found
  }

  const on =
    <K extends CrmTriggerType>(type: K) =>
    async (h: Handle, e: CrmEventPayloads[K]) => {
      const rule = RULES[type] as (typeof RULES)[K]
      for (const f of await candidates(h, type, e.clientId)) {
        let matched: boolean
        try {
          matched = rule.matches(f.config, e)
        } catch {
          matched = false // a config the publish check let through but this version of the trigger refuses
        }
        if (!matched) continue
        const key = rule.key(e)
        const { workspaceId: _w, clientId: _c, ...input } = e
        const { runId, existing } = await engine.startRun(h, {
          workspaceId: e.workspaceId,
          clientId: e.clientId,
          flowId: f.flowId,
          versionId: f.versionId,
          trigger: 'crm',
          triggerKey: key || null,
          actingUserId: f.publisher,
          input: { event: type, ...input },
          claim: false,
        })
        if (!existing) await engine.enqueueSlice(h, runId)
      }
    }
  return { on }
}
export type CrmTriggers = ReturnType<typeof createCrmTriggers>
