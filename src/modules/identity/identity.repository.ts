import type { Kysely } from 'kysely'
import type { IdentityTables } from './identity.tables.ts'

/** Users, sessions and API tokens. Personal rows are always read through their owner's id. */
export const users = {
  byEmail: (db: Kysely<IdentityTables>, email: string) =>
    db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst(),
  byId: (db: Kysely<IdentityTables>, id: string) =>
    db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),
  byIds: (db: Kysely<IdentityTables>, ids: string[]) =>
    ids.length
      ? db.selectFrom('users').select(['id', 'name', 'email']).where('id', 'in', ids).execute()
      : Promise.resolve([]),
  insert: (
    db: Kysely<IdentityTables>,
    user: { id: string; email: string; name: string; passwordHash: string | null; googleSub?: string | null },
  ) =>
    db
      .insertInto('users')
      .values({ ...user, googleSub: user.googleSub ?? null })
      .returningAll()
      .executeTakeFirstOrThrow(),
  update: (
    db: Kysely<IdentityTables>,
    id: string,
    patch: { name?: string; passwordHash?: string | null; googleSub?: string },
  ) =>
    db
      .updateTable('users')
      .set({ ...patch, updatedAt: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow(),
  byGoogleSub: (db: Kysely<IdentityTables>, sub: string) =>
    db.selectFrom('users').selectAll().where('googleSub', '=', sub).executeTakeFirst(),
  /** Marks the email verified once: true only for the call that changed it. */
  markVerified: async (db: Kysely<IdentityTables>, id: string, now: Date) =>
    Boolean(
      await db
        .updateTable('users')
        .set({ emailVerifiedAt: now, updatedAt: now })
        .where('id', '=', id)
        .where('emailVerifiedAt', 'is', null)
        .returning('id')
        .executeTakeFirst(),
    ),
  isVerified: async (db: Kysely<IdentityTables>, id: string) =>
    Boolean(
      (await db.selectFrom('users').select('emailVerifiedAt').where('id', '=', id).executeTakeFirst())?.emailVerifiedAt,
    ),
}

/** Single-use secrets sent by email; only their SHA-256 hash is stored. */
export const authTokens = {
  insert: (
    db: Kysely<IdentityTables>,
    t: { id: string; userId: string; purpose: 'verify_email' | 'reset_password'; tokenHash: string; expiresAt: Date },
  ) => db.insertInto('authTokens').values(t).execute(),
  findLive: (db: Kysely<IdentityTables>, tokenHash: string, purpose: 'verify_email' | 'reset_password', now: Date) =>
    db
      .selectFrom('authTokens')
      .select(['id', 'userId'])
      .where('tokenHash', '=', tokenHash)
      .where('purpose', '=', purpose)
      .where('usedAt', 'is', null)
      .where('expiresAt', '>', now)
      .executeTakeFirst(),
  /** Uses the token once: the conditional UPDATE decides between two concurrent uses. */
  consume: (db: Kysely<IdentityTables>, tokenHash: string, purpose: 'verify_email' | 'reset_password', now: Date) =>
    db
      .updateTable('authTokens')
      .set({ usedAt: now })
      .where('tokenHash', '=', tokenHash)
      .where('purpose', '=', purpose)
      .where('usedAt', 'is', null)
      .where('expiresAt', '>', now)
      .returning(['id', 'userId'])
      .executeTakeFirst(),
  /** Links expired for a day are of no use to anyone (a used or expired link answers the same 400 as an unknown one). */
  deleteExpired: async (db: Kysely<IdentityTables>, before: Date) =>
    Number((await db.deleteFrom('authTokens').where('expiresAt', '<', before).executeTakeFirst()).numDeletedRows),
  consumeAllOfUser: (
    db: Kysely<IdentityTables>,
    userId: string,
    purpose: 'verify_email' | 'reset_password',
    now: Date,
  ) =>
    db
      .updateTable('authTokens')
      .set({ usedAt: now })
      .where('userId', '=', userId)
      .where('purpose', '=', purpose)
      .where('usedAt', 'is', null)
      .execute(),
}

export const sessions = {
  insert: (
    db: Kysely<IdentityTables>,
    s: { id: string; userId: string; tokenHash: string; ip: string | null; userAgent: string | null; expiresAt: Date },
  ) => db.insertInto('sessions').values(s).execute(),
  findLive: (db: Kysely<IdentityTables>, tokenHash: string, now: Date) =>
    db
      .selectFrom('sessions')
      .select(['id', 'userId', 'expiresAt'])
      .where('tokenHash', '=', tokenHash)
      .where('expiresAt', '>', now)
      .executeTakeFirst(),
  delete: (db: Kysely<IdentityTables>, userId: string, id: string) =>
    db.deleteFrom('sessions').where('userId', '=', userId).where('id', '=', id).execute(),
  deleteAllOfUser: (db: Kysely<IdentityTables>, userId: string, exceptId?: string) => {
    let q = db.deleteFrom('sessions').where('userId', '=', userId)
    if (exceptId) q = q.where('id', '!=', exceptId)
    return q.execute()
  },
  deleteExpired: async (db: Kysely<IdentityTables>, now: Date) =>
    Number((await db.deleteFrom('sessions').where('expiresAt', '<=', now).executeTakeFirst()).numDeletedRows),
}

export const apiTokens = {
  insert: (
    db: Kysely<IdentityTables>,
    t: {
      id: string
      userId: string
      name: string
      tokenHash: string
      prefix: string
      expiresAt: Date | null
      workspaceId: string | null
      clientId: string | null
    },
  ) => db.insertInto('apiTokens').values(t).returningAll().executeTakeFirstOrThrow(),
  list: (db: Kysely<IdentityTables>, userId: string) =>
    db
      .selectFrom('apiTokens')
      .selectAll()
      .where('userId', '=', userId)
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .limit(200)
      .execute(),
  findUsable: (db: Kysely<IdentityTables>, tokenHash: string, now: Date) =>
    db
      .selectFrom('apiTokens')
      .select(['id', 'userId', 'lastUsedAt', 'expiresAt', 'workspaceId', 'clientId'])
      .where('tokenHash', '=', tokenHash)
      .where('revokedAt', 'is', null)
      .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', now)]))
      .executeTakeFirst(),
  revoke: (db: Kysely<IdentityTables>, userId: string, id: string, now: Date) =>
    db
      .updateTable('apiTokens')
      .set({ revokedAt: now })
      .where('userId', '=', userId)
      .where('id', '=', id)
      .where('revokedAt', 'is', null)
      .returningAll()
      .executeTakeFirst(),
  findOwned: (db: Kysely<IdentityTables>, userId: string, id: string) =>
    db.selectFrom('apiTokens').selectAll().where('userId', '=', userId).where('id', '=', id).executeTakeFirst(),
  revokeAllOfUser: (db: Kysely<IdentityTables>, userId: string, now: Date) =>
    db
      .updateTable('apiTokens')
      .set({ revokedAt: now })
      .where('userId', '=', userId)
      .where('revokedAt', 'is', null)
      .execute(),
  touch: (db: Kysely<IdentityTables>, id: string, now: Date) =>
    db.updateTable('apiTokens').set({ lastUsedAt: now }).where('id', '=', id).execute(),
}
