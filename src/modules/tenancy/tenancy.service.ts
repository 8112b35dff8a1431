import type { Kysely } from 'kysely'
import type { Emits } from '../../platform/events/events.ts'
import type { TenancyTables } from './tenancy.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import type { Role } from '../../platform/db/columns.ts'
import { hashToken, newSecretToken } from '../../platform/crypto/tokens.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { RequestAuth, RequestMeta, WorkspaceScope } from '../../platform/http/request-context.ts'
import { authErrors } from '../../platform/http/http.errors.ts'
import type { CounterStore } from '../../platform/http/counter-store.ts'
import type { MemberDto } from '../../../contracts/tenancy.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { IdentityService } from '../identity/identity.module.ts'
import type { EmailMessage, MailService } from '../mail/mail.module.ts'
import type { LimitCheck } from './tenancy.module.ts'
import { toClientDto, toInvitationDto, toWorkspaceDto } from './dto.ts'
import { tenancyErrors } from './tenancy.errors.ts'
import { expireInvitation } from './tenancy.jobs.ts'
import { clients, invitations, memberships, workspaces } from './tenancy.repository.ts'

const invitationEmail = (m: {
  to: string
  inviter: string
  workspace: string
  role: Role
  link: string
  days: number
}): EmailMessage => ({
  kind: 'invitation',
  to: m.to,
  link: m.link,
  subject: `${m.inviter} invited you to ${m.workspace} on Camarad`,
  text:
    `Hello,\n\n${m.inviter} invited you to join ${m.workspace} on Camarad as ${m.role === 'admin' ? 'an' : 'a'} ` +
    `${m.role}.\n\nAccept the invitation here (valid ${m.days} days; sign up or log in with this email ` +
    `address):\n\n${m.link}\n`,
})

type Deps = {
  db: Kysely<TenancyTables>
  audit: AuditService
  queue: Queue
  identity: Pick<IdentityService, 'getUser' | 'usersByIds' | 'userIdByEmail'>
  publicUrl: string
  invitationTtlDays: number
  now?: () => Date
  /** Sends the invitation email in the invitation's transaction. */
  mail: Pick<MailService, 'send'>
  /** Called inside the creation transaction of each workspace (the credits module opens its account there). */
  events: Emits<TenancyEvents>
  entitlements: LimitCheck
  /** Invitation emails are throttled per address and per workspace, so revoking and re-inviting cannot spam a mailbox. */
  counters: CounterStore
}

/** At most this many invitations to one address a day (from any workspace), and from one workspace an hour. */
export const INVITATIONS_PER_ADDRESS_PER_DAY = 5
export const INVITATIONS_PER_WORKSPACE_PER_HOUR = 100

/** What tenancy tells other modules, inside the transaction that did it (credits open the account then). */
export type TenancyEvents = { 'workspace.created': { workspaceId: string; userId: string } }

/** Workspaces, memberships and invitations. */
export const createTenancyService = ({
  db,
  audit,
  queue,
  identity,
  publicUrl,
  invitationTtlDays,
  now = () => new Date(),
  events,
  entitlements,
  mail,
  counters,
}: Deps) => {
  const expiryJob = expireInvitation(db, now)

  const createWorkspace = (userId: string, name: string, meta: RequestMeta, clientName?: string) =>
    db.transaction().execute(async (trx) => {
      const ws = await workspaces.insert(trx, { id: newId('ws'), name })
      await memberships.insert(trx, { workspaceId: ws.id, userId, role: 'owner' })
      await events.emit(trx, 'workspace.created', { workspaceId: ws.id, userId })
      const scope: WorkspaceScope = { userId, workspaceId: ws.id, role: 'owner' }
      await audit.record(trx, {
        action: 'workspace.created',
        workspaceId: ws.id,
        actorUserId: userId,
        targetType: 'workspace',
        targetId: ws.id,
        ip: meta.ip,
      })
      // The catalog guarantees Free allows a first client, so onboarding always passes this check.
      if (clientName) await entitlements.check(trx, ws.id, 'clients')
      const client = clientName ? await clients.insert(trx, scope, { id: newId('cl'), name: clientName }) : undefined
      if (client)
        await audit.record(trx, {
          action: 'client.created',
          workspaceId: ws.id,
          actorUserId: userId,
          targetType: 'client',
          targetId: client.id,
          ip: meta.ip,
          metadata: { name: clientName },
        })
      return { workspace: toWorkspaceDto(ws, 'owner'), client: client && toClientDto(client) }
    })

  /** Changes to who holds which role; serialised per workspace so the last owner can never be removed. */
  const changeMembership = (scope: WorkspaceScope, targetUserId: string, next: Role | null, meta: RequestMeta) =>
    db.transaction().execute(async (trx) => {
      await workspaces.lock(trx, scope)
      const target = await memberships.member(trx, scope, targetUserId)
      if (!target) throw tenancyErrors.member_not_found()
      const leavingSelf = next === null && targetUserId === scope.userId
      if (!leavingSelf && scope.role !== 'owner' && scope.role !== 'admin') throw authErrors.forbidden()
      if ((target.role === 'owner' || next === 'owner') && scope.role !== 'owner' && !leavingSelf)
        throw tenancyErrors.owner_required()
      if (target.role === 'owner' && next !== 'owner' && (await memberships.countOwners(trx, scope)) <= 1)
        throw tenancyErrors.last_owner()
      if (next === null) {
        await memberships.remove(trx, scope, targetUserId)
        await audit.record(trx, {
          action: 'member.removed',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          subjectUserId: targetUserId,
          ip: meta.ip,
          metadata: { role: target.role },
        })
        return null
      }
      const updated = await memberships.setRole(trx, scope, targetUserId, next)
      if (target.role !== next)
        await audit.record(trx, {
          action: 'member.role_changed',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          subjectUserId: targetUserId,
          ip: meta.ip,
          metadata: { from: target.role, to: next },
        })
      return updated
    })

  const members = async (scope: WorkspaceScope): Promise<MemberDto[]> => {
    const rows = await memberships.list(db, scope)
    const people = new Map((await identity.usersByIds(rows.map((r) => r.userId))).map((u) => [u.id, u]))
    return rows.map((r) => ({
      userId: r.userId,
      role: r.role,
      joinedAt: r.createdAt.toISOString(),
      name: people.get(r.userId)?.name ?? '',
      email: people.get(r.userId)?.email ?? '',
    }))
  }

  const pendingInvitation = async (auth: RequestAuth, token: string) => {
    const user = await identity.getUser(auth.userId)
    const inv =
      user && token.length <= 100
        ? await invitations.pendingByToken(db, hashToken(token), user.email, now())
        : undefined
    if (!inv) throw tenancyErrors.invitation_not_found()
    return { inv, user: user! }
  }

  return {
    createWorkspace,
    workspacesOf: async (userId: string) =>
      (await workspaces.listForUser(db, userId)).map((w) => ({ id: w.id, name: w.name, plan: w.plan, role: w.role })),
    listWorkspaces: async (userId: string) =>
      (await workspaces.listForUser(db, userId)).map((w) => toWorkspaceDto(w, w.role)),
    getWorkspace: async (scope: WorkspaceScope) => toWorkspaceDto(await workspaces.get(db, scope), scope.role),
    renameWorkspace: async (scope: WorkspaceScope, name: string) =>
      toWorkspaceDto(await workspaces.rename(db, scope, name), scope.role),

    members,
    async changeRole(scope: WorkspaceScope, userId: string, role: Role, meta: RequestMeta) {
      await changeMembership(scope, userId, role, meta)
      return (await members(scope)).find((m) => m.userId === userId)!
    },
    removeMember: (scope: WorkspaceScope, userId: string, meta: RequestMeta) =>
      changeMembership(scope, userId, null, meta),

    /** Creates an invitation and, in the same transaction, the job that clears it when it expires. */
    async invite(scope: WorkspaceScope, body: { email: string; role: Role }, meta: RequestMeta) {
      // Counted before anything is decided, so parallel invitations cannot slip past the limit.
      for (const [key, windowMs, limit] of [
        [`invite:to:${body.email.toLowerCase()}`, 86_400_000, INVITATIONS_PER_ADDRESS_PER_DAY],
        [`invite:ws:${scope.workspaceId}`, 3_600_000, INVITATIONS_PER_WORKSPACE_PER_HOUR],
      ] as const) {
        const hit = await counters.hit(key, windowMs)
        if (hit.count > limit) throw tenancyErrors.invitations_throttled({ retryAfterSeconds: hit.resetMs / 1000 })
      }
      const inviteeId = await identity.userIdByEmail(body.email)
      const inviter = await identity.getUser(scope.userId)
      return db.transaction().execute(async (trx) => {
        if (inviteeId && (await memberships.find(trx, inviteeId, scope.workspaceId)))
          throw tenancyErrors.already_member()
        await invitations.revokePendingFor(trx, scope, body.email, now())
        // After revoking this address's earlier invitation: a re-sent invitation does not take a second seat.
        await entitlements.check(trx, scope.workspaceId, 'members')
        const token = newSecretToken()
        const inv = await invitations.insert(trx, {
          id: newId('inv'),
          workspaceId: scope.workspaceId,
          email: body.email,
          role: body.role,
          tokenHash: hashToken(token),
          invitedBy: scope.userId,
          expiresAt: new Date(now().getTime() + invitationTtlDays * 86_400_000),
        })
        await queue.enqueue(trx, expiryJob, { invitationId: inv.id }, { startAfter: inv.expiresAt })
        await audit.record(trx, {
          action: 'invitation.created',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'invitation',
          targetId: inv.id,
          ip: meta.ip,
          metadata: { email: inv.email, role: inv.role },
        })
        const acceptUrl = `${publicUrl}/invite/${token}`
        await mail.send(
          trx,
          invitationEmail({
            to: inv.email,
            inviter: inviter?.name ?? 'Someone',
            workspace: (await workspaces.get(trx, scope)).name,
            role: inv.role,
            link: acceptUrl,
            days: invitationTtlDays,
          }),
        )
        return { invitation: toInvitationDto(inv, now()), acceptUrl }
      })
    },
    listInvitations: async (scope: WorkspaceScope) =>
      (await invitations.list(db, scope)).map((i) => toInvitationDto(i, now())),
    revokeInvitation: (scope: WorkspaceScope, id: string, meta: RequestMeta) =>
      db.transaction().execute(async (trx) => {
        const revoked = await invitations.revoke(trx, scope, id, now())
        if (!revoked) {
          if (await invitations.inWorkspace(trx, scope, id)) return
          throw tenancyErrors.invitation_not_found()
        }
        await audit.record(trx, {
          action: 'invitation.revoked',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'invitation',
          targetId: id,
          ip: meta.ip,
        })
      }),

    async previewInvitation(auth: RequestAuth, token: string) {
      const { inv } = await pendingInvitation(auth, token)
      const inviter = await identity.getUser(inv.invitedBy)
      return {
        workspaceName: inv.workspaceName,
        email: inv.email,
        role: inv.role,
        invitedBy: inviter?.name ?? '',
        expiresAt: inv.expiresAt.toISOString(),
      }
    },
    async acceptInvitation(auth: RequestAuth, token: string, meta: RequestMeta) {
      const { user } = await pendingInvitation(auth, token)
      return db.transaction().execute(async (trx) => {
        const inv = await invitations.pendingByToken(trx, hashToken(token), user.email, now(), true)
        if (!inv) throw tenancyErrors.invitation_not_found()
        if (await memberships.find(trx, user.id, inv.workspaceId)) throw tenancyErrors.already_member()
        // The invitation held a seat when it was sent, but the plan may have shrunk since (a downgrade): the new member
        // must fit among the members themselves, counted under the workspace row lock like every other limit.
        await entitlements.check(trx, inv.workspaceId, 'members', 1, (executor) =>
          memberships.count(executor, inv.workspaceId),
        )
        await memberships.insert(trx, { workspaceId: inv.workspaceId, userId: user.id, role: inv.role })
        await invitations.markAccepted(trx, inv.id, user.id, now())
        await audit.record(trx, {
          action: 'member.joined',
          workspaceId: inv.workspaceId,
          actorUserId: user.id,
          subjectUserId: user.id,
          targetType: 'invitation',
          targetId: inv.id,
          ip: meta.ip,
          metadata: { role: inv.role },
        })
        const ws = await workspaces.get(trx, { userId: user.id, workspaceId: inv.workspaceId, role: inv.role })
        return { workspace: toWorkspaceDto(ws, inv.role) }
      })
    },
  }
}
export type TenancyService = ReturnType<typeof createTenancyService>
