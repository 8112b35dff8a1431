import { sql, type Kysely } from 'kysely'
import type { TenancyTables } from './tenancy.tables.ts'
import type { Role } from '../../platform/db/columns.ts'
import type { ClientScope, WorkspaceScope } from '../../platform/http/request-context.ts'
import { newestFirstPage, type PageRequest } from '../../platform/db/pagination.ts'

/** Every query names its tenant: the workspace from the scope, or the calling user's memberships. */
export const workspaces = {
  insert: (db: Kysely<TenancyTables>, w: { id: string; name: string }) =>
    db.insertInto('workspaces').values(w).returningAll().executeTakeFirstOrThrow(),
  listForUser: (db: Kysely<TenancyTables>, userId: string) =>
    db
      .selectFrom('memberships')
      .innerJoin('workspaces', 'workspaces.id', 'memberships.workspaceId')
      .select(['workspaces.id', 'workspaces.name', 'workspaces.plan', 'workspaces.createdAt', 'memberships.role'])
      .where('memberships.userId', '=', userId)
      .orderBy('workspaces.createdAt', 'asc')
      .execute(),
  get: (db: Kysely<TenancyTables>, scope: WorkspaceScope) =>
    db.selectFrom('workspaces').selectAll().where('id', '=', scope.workspaceId).executeTakeFirstOrThrow(),
  rename: (db: Kysely<TenancyTables>, scope: WorkspaceScope, name: string) =>
    db
      .updateTable('workspaces')
      .set({ name, updatedAt: new Date() })
      .where('id', '=', scope.workspaceId)
      .returningAll()
      .executeTakeFirstOrThrow(),
  /** Serialises membership changes of one workspace (the last-owner rule needs it under concurrency). */
  lock: (db: Kysely<TenancyTables>, scope: WorkspaceScope) =>
    db.selectFrom('workspaces').select('id').where('id', '=', scope.workspaceId).forUpdate().executeTakeFirstOrThrow(),
  exists: (db: Kysely<TenancyTables>, workspaceId: string) =>
    db.selectFrom('workspaces').select('id').where('id', '=', workspaceId).executeTakeFirst(),
  plan: async (db: Kysely<TenancyTables>, workspaceId: string, lock = false) => {
    const q = db.selectFrom('workspaces').select('plan').where('id', '=', workspaceId)
    return (await (lock ? q.forUpdate() : q).executeTakeFirst())?.plan
  },
  /** Workspaces and their plans in pages, by id (keyset: `after` is the last id of the previous page). */
  plans: (db: Kysely<TenancyTables>, q: { after?: string; limit: number; plans?: string[] }) => {
    let query = db.selectFrom('workspaces').select(['id', 'plan']).orderBy('id', 'asc').limit(q.limit)
    if (q.after !== undefined) query = query.where('id', '>', q.after)
    if (q.plans) query = query.where('plan', 'in', q.plans)
    return query.execute()
  },
  /** The workspace's first owner (the person whose free credits it spends). */
  ownerOf: async (db: Kysely<TenancyTables>, workspaceId: string) =>
    (
      await db
        .selectFrom('memberships')
        .select('userId')
        .where('workspaceId', '=', workspaceId)
        .where('role', '=', 'owner')
        .orderBy('createdAt', 'asc')
        .orderBy('userId', 'asc')
        .limit(1)
        .executeTakeFirst()
    )?.userId,
  /** The first workspace a person owns. */
  firstOwnedBy: async (db: Kysely<TenancyTables>, userId: string) =>
    (
      await db
        .selectFrom('memberships')
        .select('workspaceId')
        .where('userId', '=', userId)
        .where('role', '=', 'owner')
        .orderBy('createdAt', 'asc')
        .orderBy('workspaceId', 'asc')
        .limit(1)
        .executeTakeFirst()
    )?.workspaceId,
  setPlan: async (db: Kysely<TenancyTables>, workspaceId: string, plan: string) => {
    await db.updateTable('workspaces').set({ plan, updatedAt: new Date() }).where('id', '=', workspaceId).execute()
  },
}

export const memberships = {
  /** Every workspace the user belongs to, with the role there. */
  rolesOf: (db: Kysely<TenancyTables>, userId: string) =>
    db.selectFrom('memberships').select(['workspaceId', 'role']).where('userId', '=', userId).execute(),
  find: (db: Kysely<TenancyTables>, userId: string, workspaceId: string) =>
    db
      .selectFrom('memberships')
      .select(['workspaceId', 'userId', 'role'])
      .where('userId', '=', userId)
      .where('workspaceId', '=', workspaceId)
      .executeTakeFirst(),
  insert: (db: Kysely<TenancyTables>, m: { workspaceId: string; userId: string; role: Role }) =>
    db
      .insertInto('memberships')
      .values(m)
      .onConflict((oc) => oc.columns(['workspaceId', 'userId']).doNothing())
      .execute(),
  list: (db: Kysely<TenancyTables>, scope: WorkspaceScope) =>
    db
      .selectFrom('memberships')
      .select(['userId', 'role', 'createdAt'])
      .where('workspaceId', '=', scope.workspaceId)
      .orderBy('createdAt', 'asc')
      .execute(),
  member: (db: Kysely<TenancyTables>, scope: WorkspaceScope, userId: string) =>
    db
      .selectFrom('memberships')
      .select(['userId', 'role', 'createdAt'])
      .where('workspaceId', '=', scope.workspaceId)
      .where('userId', '=', userId)
      .executeTakeFirst(),
  setRole: (db: Kysely<TenancyTables>, scope: WorkspaceScope, userId: string, role: Role) =>
    db
      .updateTable('memberships')
      .set({ role })
      .where('workspaceId', '=', scope.workspaceId)
      .where('userId', '=', userId)
      .returning(['userId', 'role', 'createdAt'])
      .executeTakeFirstOrThrow(),
  remove: (db: Kysely<TenancyTables>, scope: WorkspaceScope, userId: string) =>
    db.deleteFrom('memberships').where('workspaceId', '=', scope.workspaceId).where('userId', '=', userId).execute(),
  count: async (db: Kysely<TenancyTables>, workspaceId: string) =>
    Number(
      (
        await db
          .selectFrom('memberships')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('workspaceId', '=', workspaceId)
          .executeTakeFirstOrThrow()
      ).n,
    ),
  /** Members plus pending invitations: each pending invitation holds a seat. */
  countSeats: async (db: Kysely<TenancyTables>, workspaceId: string, now: Date) => {
    const m = await db
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('workspaceId', '=', workspaceId)
      .executeTakeFirstOrThrow()
    const i = await db
      .selectFrom('invitations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('workspaceId', '=', workspaceId)
      .where('acceptedAt', 'is', null)
      .where('revokedAt', 'is', null)
      .where('expiresAt', '>', now)
      .executeTakeFirstOrThrow()
    return Number(m.n) + Number(i.n)
  },
  countOwners: async (db: Kysely<TenancyTables>, scope: WorkspaceScope) =>
    Number(
      (
        await db
          .selectFrom('memberships')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('workspaceId', '=', scope.workspaceId)
          .where('role', '=', 'owner')
          .executeTakeFirstOrThrow()
      ).n,
    ),
}

export const invitations = {
  insert: (
    db: Kysely<TenancyTables>,
    i: {
      id: string
      workspaceId: string
      email: string
      role: Role
      tokenHash: string
      invitedBy: string
      expiresAt: Date
    },
  ) => db.insertInto('invitations').values(i).returningAll().executeTakeFirstOrThrow(),
  list: (db: Kysely<TenancyTables>, scope: WorkspaceScope) =>
    db
      .selectFrom('invitations')
      .selectAll()
      .where('workspaceId', '=', scope.workspaceId)
      .orderBy('createdAt', 'desc')
      .limit(200)
      .execute(),
  revokePendingFor: (db: Kysely<TenancyTables>, scope: WorkspaceScope, email: string, now: Date) =>
    db
      .updateTable('invitations')
      .set({ revokedAt: now })
      .where('workspaceId', '=', scope.workspaceId)
      .where('email', '=', email)
      .where('acceptedAt', 'is', null)
      .where('revokedAt', 'is', null)
      .execute(),
  revoke: (db: Kysely<TenancyTables>, scope: WorkspaceScope, id: string, now: Date) =>
    db
      .updateTable('invitations')
      .set({ revokedAt: now })
      .where('workspaceId', '=', scope.workspaceId)
      .where('id', '=', id)
      .where('acceptedAt', 'is', null)
      .where('revokedAt', 'is', null)
      .returningAll()
      .executeTakeFirst(),
  inWorkspace: (db: Kysely<TenancyTables>, scope: WorkspaceScope, id: string) =>
    db
      .selectFrom('invitations')
      .select('id')
      .where('workspaceId', '=', scope.workspaceId)
      .where('id', '=', id)
      .executeTakeFirst(),
  /** An invitation is reachable only through its secret token, and only by the address it was sent to. */
  pendingByToken: (db: Kysely<TenancyTables>, tokenHash: string, email: string, now: Date, lock = false) => {
    const q = db
      .selectFrom('invitations')
      .innerJoin('workspaces', 'workspaces.id', 'invitations.workspaceId')
      .selectAll('invitations')
      .select('workspaces.name as workspaceName')
      .where('tokenHash', '=', tokenHash)
      .where('email', '=', email)
      .where('acceptedAt', 'is', null)
      .where('revokedAt', 'is', null)
      .where('expiresAt', '>', now)
    return (lock ? q.forUpdate('invitations') : q).executeTakeFirst()
  },
  markAccepted: (db: Kysely<TenancyTables>, id: string, userId: string, now: Date) =>
    db
      .updateTable('invitations')
      .set({ acceptedAt: now, acceptedBy: userId })
      .where('id', '=', id)
      .where('acceptedAt', 'is', null)
      .execute(),
  deleteIfExpired: async (db: Kysely<TenancyTables>, id: string, now: Date) =>
    Number(
      (
        await db
          .deleteFrom('invitations')
          .where('id', '=', id)
          .where('acceptedAt', 'is', null)
          .where('expiresAt', '<=', now)
          .executeTakeFirst()
      ).numDeletedRows,
    ),
  deleteAllExpired: async (db: Kysely<TenancyTables>, now: Date) =>
    Number(
      (
        await db
          .deleteFrom('invitations')
          .where('acceptedAt', 'is', null)
          .where('expiresAt', '<=', now)
          .executeTakeFirst()
      ).numDeletedRows,
    ),
}

export type ClientFilters = {
  archived: 'include' | 'exclude' | 'only'
  q?: string | undefined
}

export const clients = {
  inWorkspace: (db: Kysely<TenancyTables>, workspaceId: string, clientId: string) =>
    db
      .selectFrom('clients')
      .select('id')
      .where('id', '=', clientId)
      .where('workspaceId', '=', workspaceId)
      .executeTakeFirst(),
  byId: (db: Kysely<TenancyTables>, clientId: string) =>
    db.selectFrom('clients').selectAll().where('id', '=', clientId).executeTakeFirst(),
  countActive: async (db: Kysely<TenancyTables>, workspaceId: string) =>
    Number(
      (
        await db
          .selectFrom('clients')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('workspaceId', '=', workspaceId)
          .where('archivedAt', 'is', null)
          .executeTakeFirstOrThrow()
      ).n,
    ),
  insert: (
    db: Kysely<TenancyTables>,
    scope: WorkspaceScope,
    c: { id: string; name: string; website?: string | null; notes?: string | null },
  ) =>
    db
      .insertInto('clients')
      .values({ ...c, workspaceId: scope.workspaceId })
      .returningAll()
      .executeTakeFirstOrThrow(),
  /** A page of the workspace's clients, newest first. */
  page: (db: Kysely<TenancyTables>, scope: WorkspaceScope, p: ClientFilters, page: PageRequest) => {
    let q = db.selectFrom('clients').selectAll().where('workspaceId', '=', scope.workspaceId)
    if (p.archived === 'exclude') q = q.where('archivedAt', 'is', null)
    if (p.archived === 'only') q = q.where('archivedAt', 'is not', null)
    if (p.q) {
      const pattern = `%${p.q.replace(/[\\%_]/g, (m) => '\\' + m)}%`
      q = q.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('website', 'ilike', pattern)]))
    }
    return newestFirstPage(q, page)
  },
  get: (db: Kysely<TenancyTables>, scope: ClientScope) =>
    db
      .selectFrom('clients')
      .selectAll()
      .where('workspaceId', '=', scope.workspaceId)
      .where('id', '=', scope.clientId)
      .executeTakeFirstOrThrow(),
  update: (
    db: Kysely<TenancyTables>,
    scope: ClientScope,
    patch: { name?: string; website?: string | null; notes?: string | null },
  ) =>
    db
      .updateTable('clients')
      .set({ ...patch, updatedAt: new Date() })
      .where('workspaceId', '=', scope.workspaceId)
      .where('id', '=', scope.clientId)
      .returningAll()
      .executeTakeFirstOrThrow(),
  archive: (db: Kysely<TenancyTables>, scope: ClientScope, now: Date) =>
    db
      .updateTable('clients')
      .set({ archivedAt: sql<Date>`coalesce(archived_at, ${now})`, updatedAt: now })
      .where('workspaceId', '=', scope.workspaceId)
      .where('id', '=', scope.clientId)
      .returningAll()
      .executeTakeFirstOrThrow(),
  /** Loads a client with the caller's role in its workspace, in one read; nothing if the caller is not a member. */
  accessFor: (db: Kysely<TenancyTables>, userId: string, clientId: string) =>
    db
      .selectFrom('clients')
      .innerJoin('memberships', 'memberships.workspaceId', 'clients.workspaceId')
      .selectAll('clients')
      .select('memberships.role')
      .where('clients.id', '=', clientId)
      .where('memberships.userId', '=', userId)
      .executeTakeFirst(),
}
