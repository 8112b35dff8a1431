import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type {
  FlowCreate,
  FlowDraftUpdate,
  FlowDto,
  FlowExport,
  FlowGraph,
  FlowState,
  GraphIssue,
} from '../../../contracts/flows.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import type { PageRequest } from '../../platform/db/pagination.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { LimitCheck } from '../tenancy/tenancy.module.ts'
import { flows, versions, webhookHints } from './definitions.repository.ts'
import { flowsErrors } from './flows.errors.ts'
import type { FlowRow, FlowsTables, FlowVersionRow } from './flows.tables.ts'
import { validateGraph, type GraphCheckOptions } from './graph.ts'
import type { NodeRegistry } from './registry.ts'

/** How the sandbox checks that an expression parses (the engine wires it; without it expressions are not checked). */
export type CheckExpression = NonNullable<GraphCheckOptions['checkExpression']>
/** A change of a flow's lifecycle, told to the engine inside its transaction (triggers are (de)activated there). */
export type FlowChange = 'published' | 'paused' | 'resumed' | 'archived' | 'restored'
export type FlowChanged = (trx: Handle, flow: FlowRow, change: FlowChange) => Promise<void>

/** JSON with object keys sorted at every level: the same graph always hashes the same, whatever the key order. */
const canonical = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  return JSON.stringify(v) ?? 'null'
}
/** sha256 (hex) of the graph's canonical JSON: a version's identity (idempotent publish, deduplicated snapshots). */
export const hashGraph = (graph: FlowGraph) => createHash('sha256').update(canonical(graph)).digest('hex')

/** A new flow starts with a manual trigger, so it can be tested at once. */
export const defaultGraph = (): FlowGraph => ({
  nodes: [{ id: 'trigger', type: 'core.manual', name: 'Manual trigger', position: { x: 0, y: 0 }, config: {} }],
  edges: [],
})

/**
 * What a draft must be to be stored at all: unique node ids and edges between existing nodes. Everything else (a missing
 * trigger, a dangling port, a bad config) is a normal state of a draft being built and is refused only at publish.
 */
const structureIssues = (graph: FlowGraph): GraphIssue[] => {
  const ids = new Set<string>()
  const issues: GraphIssue[] = []
  graph.nodes.forEach((n, i) => {
    if (ids.has(n.id))
      issues.push({ nodeId: n.id, path: ['nodes', i, 'id'], message: `Two nodes have the id "${n.id}".` })
    ids.add(n.id)
  })
  graph.edges.forEach((e, i) => {
    if (!ids.has(e.from) || !ids.has(e.to))
      issues.push({
        nodeId: ids.has(e.from) ? e.from : ids.has(e.to) ? e.to : null,
        path: ['edges', i],
        message: `The edge ${e.from} → ${e.to} names a node that does not exist.`,
      })
  })
  return issues
}

type Deps = {
  db: Kysely<FlowsTables>
  audit: AuditService
  entitlements: LimitCheck
  registry: NodeRegistry
  checkExpression?: CheckExpression | undefined
  changed?: FlowChanged | undefined
}

/** Flow definitions: drafts edited with a revision, immutable versions, the lifecycle (pause, archive) and JSON export. */
export const createDefinitionsService = ({ db, audit, entitlements, registry, checkExpression, changed }: Deps) => {
  const refuse = (issues: GraphIssue[]) => {
    if (issues.length > 0) throw flowsErrors.invalid_graph({ issues })
  }
  const unknownTypes = (graph: FlowGraph): GraphIssue[] =>
    graph.nodes
      .filter((n) => !registry.get(n.type))
      .map((n) => ({ nodeId: n.id, path: ['type'], message: `There is no node type ${n.type}.` }))

  /** The webhook of the published version, when it starts with one and its URL was made (`hint`). */
  const webhookOf = (published: FlowVersionRow | undefined, hint: string | undefined) => {
    const trigger = published?.graph.nodes.find((n) => n.type === 'core.webhook')
    return trigger && hint ? { hint, hmac: typeof trigger.config.hmacHeader === 'string' } : null
  }
  const toDto = (f: FlowRow, published: FlowVersionRow | undefined, hint?: string): FlowDto => ({
    id: f.id,
    clientId: f.clientId,
    name: f.name,
    description: f.description,
    state: f.state,
    draft: f.draft,
    draftRevision: f.draftRevision,
    publishedVersion:
      published && published.number !== null
        ? { id: published.id, number: published.number, publishedAt: published.createdAt.toISOString() }
        : null,
    unpublishedChanges: !published || hashGraph(f.draft) !== published.graphHash,
    webhook: webhookOf(published, hint),
    createdAt: f.createdAt.toISOString(),
    updatedAt: f.updatedAt.toISOString(),
  })
  const publishedOf = async (handle: Kysely<FlowsTables>, f: FlowRow) =>
    f.publishedVersionId ? (await versions.byIds(handle, f.workspaceId, [f.publishedVersionId]))[0] : undefined
  const hintOf = async (handle: Kysely<FlowsTables>, f: FlowRow) =>
    (await webhookHints(handle, f.workspaceId, [f.id])).get(f.id)
  const dto = async (handle: Kysely<FlowsTables>, f: FlowRow) =>
    toDto(f, await publishedOf(handle, f), await hintOf(handle, f))

  const find = async (handle: Kysely<FlowsTables>, scope: ClientScope, id: string, lock = false) => {
    const f = await (lock ? flows.lock(handle, scope, id) : flows.get(handle, scope, id))
    if (!f) throw flowsErrors.not_found()
    return f
  }
  const findLive = async (handle: Kysely<FlowsTables>, scope: ClientScope, id: string, lock = false) => {
    const f = await find(handle, scope, id, lock)
    if (f.state === 'archived') throw flowsErrors.archived()
    return f
  }

  const insert = (
    scope: ClientScope,
    f: { name: string; description: string; graph: FlowGraph },
    meta: RequestMeta,
    audited: { action: 'flow.created' | 'flow.imported'; metadata?: Record<string, unknown> },
  ) =>
    db.transaction().execute(async (trx) => {
      await entitlements.check(trx, scope.workspaceId, 'flows')
      const row = await flows.insert(trx, scope, { id: newId('fl'), ...f, draft: f.graph })
      await audit.record(trx, {
        action: audited.action,
        workspaceId: scope.workspaceId,
        actorUserId: scope.userId,
        targetType: 'flow',
        targetId: row.id,
        ip: meta.ip,
        metadata: { name: row.name, clientId: scope.clientId, ...audited.metadata },
      })
      return toDto(row, undefined)
    })

  /** Moves a flow between states under its row lock; a flow already in the target state is answered unchanged. */
  const transition = (
    scope: ClientScope,
    id: string,
    meta: RequestMeta,
    to: FlowState,
    change: Exclude<FlowChange, 'published'>,
  ) =>
    db.transaction().execute(async (trx) => {
      const f = await find(trx, scope, id, true)
      if (f.state === to) return dto(trx, f)
      if (f.state === 'archived' && change !== 'restored') throw flowsErrors.archived()
      // Restoring takes a plan slot again, so it is checked like a create.
      if (change === 'restored') await entitlements.check(trx, scope.workspaceId, 'flows')
      const updated = await flows.set(trx, scope, id, { state: to })
      await audit.record(trx, {
        action: `flow.${change}`,
        workspaceId: scope.workspaceId,
        actorUserId: scope.userId,
        targetType: 'flow',
        targetId: id,
        ip: meta.ip,
        metadata: { name: f.name, clientId: scope.clientId, from: f.state },
      })
      await changed?.(trx, updated, change)
      return dto(trx, updated)
    })

  return {
    async list(scope: ClientScope, q: PageRequest & { state?: FlowState | undefined }) {
      const page = await flows.page(db, scope, q.state, q)
      const published = new Map(
        (
          await versions.byIds(
            db,
            scope.workspaceId,
            page.items.flatMap((f) => (f.publishedVersionId ? [f.publishedVersionId] : [])),
          )
        ).map((v) => [v.id, v]),
      )
      const hints = await webhookHints(
        db,
        scope.workspaceId,
        page.items.map((f) => f.id),
      )
      return {
        items: page.items.map((f) =>
          toDto(f, f.publishedVersionId ? published.get(f.publishedVersionId) : undefined, hints.get(f.id)),
        ),
        nextCursor: page.nextCursor,
      }
    },

    get: async (scope: ClientScope, id: string) => dto(db, await find(db, scope, id)),

    /** The client a flow belongs to (undefined when there is no such flow), for `scope.owner`. */
    flowOf: (id: string) => flows.clientOf(db, id),

    /** `origin` goes into the audit event's metadata (a template's id, a compose request). */
    create(scope: ClientScope, body: FlowCreate, meta: RequestMeta, origin?: Record<string, unknown>) {
      const graph = body.graph ?? defaultGraph()
      refuse(structureIssues(graph))
      return insert(scope, { name: body.name, description: body.description ?? '', graph }, meta, {
        action: 'flow.created',
        metadata: origin,
      })
    },

    /** An export from this or another server: its node types must exist here. */
    import(scope: ClientScope, body: FlowExport, meta: RequestMeta) {
      refuse([...structureIssues(body.graph), ...unknownTypes(body.graph)])
      return insert(scope, { name: body.name, description: body.description, graph: body.graph }, meta, {
        action: 'flow.imported',
      })
    },

    export: async (scope: ClientScope, id: string): Promise<FlowExport> => {
      const f = await find(db, scope, id)
      return { camaradFlow: 1, name: f.name, description: f.description, graph: f.draft }
    },

    /** Saves the draft if nobody saved since `revision` (409 `flows.stale_draft`); drafts are not audited. */
    async update(scope: ClientScope, id: string, body: FlowDraftUpdate) {
      await findLive(db, scope, id)
      if (body.graph) refuse(structureIssues(body.graph))
      const row = await flows.updateDraft(db, scope, id, body.revision, {
        name: body.name,
        description: body.description,
        draft: body.graph,
      })
      if (!row) throw flowsErrors.stale_draft()
      return dto(db, row)
    },

    /** Every issue of a graph, expressions included (what publishing would refuse). */
    validate: (graph: FlowGraph) => {
      const issues = validateGraph(registry, graph, { checkExpression })
      return { valid: issues.length === 0, issues }
    },

    /**
     * Freezes the draft into version n + 1 (400 `flows.invalid_graph` with the issues). Publishing a draft identical to
     * the published version changes nothing.
     */
    publish: (scope: ClientScope, id: string, meta: RequestMeta) =>
      db.transaction().execute(async (trx) => {
        const f = await findLive(trx, scope, id, true)
        refuse(validateGraph(registry, f.draft, { checkExpression }))
        const graphHash = hashGraph(f.draft)
        const current = await publishedOf(trx, f)
        if (current?.graphHash === graphHash) return toDto(f, current, await hintOf(trx, f))
        const number = (await versions.lastNumber(trx, scope.workspaceId, id)) + 1
        const version = await versions.insertPublished(trx, scope, {
          id: newId('fv'),
          flowId: id,
          number,
          graph: f.draft,
          graphHash,
        })
        const updated = await flows.set(trx, scope, id, { publishedVersionId: version.id })
        await audit.record(trx, {
          action: 'flow.published',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'flow',
          targetId: id,
          ip: meta.ip,
          metadata: { name: f.name, clientId: scope.clientId, version: number, versionId: version.id },
        })
        await changed?.(trx, updated, 'published')
        return toDto(updated, version, await hintOf(trx, updated))
      }),

    pause: (scope: ClientScope, id: string, meta: RequestMeta) => transition(scope, id, meta, 'paused', 'paused'),
    resume: (scope: ClientScope, id: string, meta: RequestMeta) => transition(scope, id, meta, 'active', 'resumed'),
    /** Frees the plan's slot; runs keep pointing at the flow, which is never deleted. */
    archive: (scope: ClientScope, id: string, meta: RequestMeta) => transition(scope, id, meta, 'archived', 'archived'),
    /** A restored flow comes back paused: its triggers fire again only when an admin resumes it. */
    restore: (scope: ClientScope, id: string, meta: RequestMeta) => transition(scope, id, meta, 'paused', 'restored'),

    /**
     * The immutable version a run executes, read in the run's transaction. `draft: true` (a test run) snapshots the
     * draft into an unpublished version, one per distinct graph (400 `flows.invalid_graph` if it would not publish);
     * otherwise the published version (409 `flows.not_published` / `flows.paused`). An archived flow runs nothing
     * (409 `flows.archived`).
     */
    async versionForRun(
      trx: Handle,
      scope: ClientScope,
      flowId: string,
      o: { draft: boolean; userId: string },
    ): Promise<{ flow: FlowRow; version: FlowVersionRow }> {
      const t = own<FlowsTables>(trx)
      const flow = await findLive(t, scope, flowId)
      if (o.draft) {
        // Only a graph that would publish is snapshotted: the engine compiles what it is given.
        refuse(validateGraph(registry, flow.draft, { checkExpression }))
        const version = await versions.snapshot(t, {
          id: newId('fv'),
          workspaceId: scope.workspaceId,
          flowId,
          graph: flow.draft,
          graphHash: hashGraph(flow.draft),
          userId: o.userId,
        })
        return { flow, version }
      }
      if (flow.state === 'paused') throw flowsErrors.paused()
      const version = await publishedOf(t, flow)
      if (!version) throw flowsErrors.not_published()
      return { flow, version }
    },

    nodeTypes: () => registry.describe(),
  }
}
export type DefinitionsService = ReturnType<typeof createDefinitionsService>
