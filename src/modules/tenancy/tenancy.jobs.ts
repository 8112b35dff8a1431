import { z } from 'zod'
import { defineJob } from '../../platform/queue/queue.ts'
import type { Kysely } from 'kysely'
import type { TenancyTables } from './tenancy.tables.ts'
import { invitations } from './tenancy.repository.ts'

/** Enqueued with the invitation, in the same transaction, to run when it expires. */
export const expireInvitation = (db: Kysely<TenancyTables>, now: () => Date = () => new Date()) =>
  defineJob({
    name: 'tenancy.expire-invitation',
    payload: z.object({ invitationId: z.string() }),
    handler: async ({ invitationId }) => {
      await invitations.deleteIfExpired(db, invitationId, now())
    },
  })

/** A daily sweep for invitations whose own job was lost (e.g. created before a restore). */
export const sweepInvitations = (db: Kysely<TenancyTables>, now: () => Date = () => new Date()) =>
  defineJob({
    name: 'tenancy.sweep-expired-invitations',
    payload: z.object({}).passthrough(),
    cron: '41 3 * * *',
    handler: async () => {
      await invitations.deleteAllExpired(db, now())
    },
  })
