import { z } from 'zod'
import { Email, Name, Role, Timestamp } from './common.ts'

export const WorkspaceDto = z
  .object({ id: z.string(), name: z.string(), plan: z.string(), role: Role, createdAt: Timestamp })
  .meta({ id: 'Workspace' })
export type WorkspaceDto = z.infer<typeof WorkspaceDto>
export const WorkspaceCreate = z.strictObject({ name: Name })
export const WorkspacePatch = z.strictObject({ name: Name })

const ClientName = z.string().trim().min(1).max(120)
const Website = z.url({ protocol: /^https?$/ }).max(500)

export const ClientDto = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    name: z.string(),
    website: z.string().nullable(),
    notes: z.string().nullable(),
    archivedAt: Timestamp.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Client' })
export type ClientDto = z.infer<typeof ClientDto>
export const ClientCreate = z.strictObject({
  name: ClientName,
  website: Website.optional(),
  notes: z.string().max(5000).optional(),
})
export type ClientCreate = z.infer<typeof ClientCreate>
export const ClientPatch = z
  .strictObject({
    name: ClientName.optional(),
    website: Website.nullable().optional(),
    notes: z.string().max(5000).nullable().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'Send at least one field to change.')
export type ClientPatch = z.infer<typeof ClientPatch>
export const ClientListQuery = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  archived: z.enum(['include', 'exclude', 'only']).default('exclude'),
  q: z.string().trim().max(100).optional(),
})

export const OnboardingBody = z.strictObject({ workspaceName: Name, clientName: ClientName })
export const OnboardingResult = z
  .object({ workspace: WorkspaceDto, client: ClientDto })
  .meta({ id: 'OnboardingResult' })

export const MemberDto = z
  .object({ userId: z.string(), name: z.string(), email: z.string(), role: Role, joinedAt: Timestamp })
  .meta({ id: 'Member' })
export type MemberDto = z.infer<typeof MemberDto>
export const MemberPatch = z.strictObject({ role: Role })

export const InvitableRole = z.enum(['admin', 'member', 'viewer'])
export const InvitationCreate = z.strictObject({ email: Email, role: InvitableRole.default('member') })
export const InvitationDto = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    email: z.string(),
    role: Role,
    createdAt: Timestamp,
    expiresAt: Timestamp,
    status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  })
  .meta({ id: 'Invitation' })
export type InvitationDto = z.infer<typeof InvitationDto>
export const InvitationCreated = z
  .object({
    invitation: InvitationDto,
    acceptUrl: z.string().meta({ description: 'Shown once; share it with the invitee.' }),
  })
  .meta({ id: 'InvitationCreated' })
export const InvitationPreview = z
  .object({ workspaceName: z.string(), email: z.string(), role: Role, invitedBy: z.string(), expiresAt: Timestamp })
  .meta({ id: 'InvitationPreview' })
export const InvitationAccepted = z.object({ workspace: WorkspaceDto }).meta({ id: 'InvitationAccepted' })
