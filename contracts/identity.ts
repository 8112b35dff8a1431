import { z } from 'zod'
import { Email, Name, Role, Timestamp } from './common.ts'

export const Password = z.string().min(10, 'Use at least 10 characters.').max(200)

export const SignupBody = z.strictObject({ email: Email, password: Password, name: Name })
export type SignupBody = z.infer<typeof SignupBody>

export const LoginBody = z.strictObject({ email: Email, password: z.string().min(1).max(200) })
export type LoginBody = z.infer<typeof LoginBody>

export const UserDto = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    createdAt: Timestamp,
    hasPassword: z.boolean(),
    emailVerified: z.boolean(),
  })
  .meta({ id: 'User' })
export type UserDto = z.infer<typeof UserDto>

export const WorkspaceSummary = z
  .object({ id: z.string(), name: z.string(), role: Role, plan: z.string() })
  .meta({ id: 'WorkspaceSummary' })
export type WorkspaceSummary = z.infer<typeof WorkspaceSummary>

export const AuthStatus = z
  .object({
    authenticated: z.boolean(),
    user: UserDto.nullable(),
    workspaces: z.array(WorkspaceSummary),
    via: z.enum(['session', 'token']).nullable(),
    googleEnabled: z.boolean(),
  })
  .meta({ id: 'AuthStatus' })
export type AuthStatus = z.infer<typeof AuthStatus>

export const SessionResult = z.object({ user: UserDto }).meta({ id: 'SessionResult' })

export const ProfilePatch = z.strictObject({ name: Name })
export const PasswordChange = z.strictObject({ currentPassword: z.string().min(1).max(200), newPassword: Password })

export const TokenCreateBody = z.strictObject({
  name: Name,
  expiresInDays: z.number().int().min(1).max(3650).optional(),
  workspaceId: z
    .string()
    .min(3)
    .max(64)
    .optional()
    .meta({ description: 'Bind the token to a workspace: /v1 calls made with it are attributed there' }),
  clientId: z
    .string()
    .min(3)
    .max(64)
    .optional()
    .meta({ description: 'Bind the token to a client of that workspace as well' }),
})
export type TokenCreateBody = z.infer<typeof TokenCreateBody>

export const ApiTokenDto = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    createdAt: Timestamp,
    workspaceId: z.string().nullable(),
    clientId: z.string().nullable(),
    expiresAt: Timestamp.nullable(),
    lastUsedAt: Timestamp.nullable(),
    revokedAt: Timestamp.nullable(),
  })
  .meta({ id: 'ApiToken' })
export type ApiTokenDto = z.infer<typeof ApiTokenDto>

export const TokenCreated = z
  .object({ token: z.string().meta({ description: 'Shown once; store it now.' }), apiToken: ApiTokenDto })
  .meta({ id: 'TokenCreated' })
export type TokenCreated = z.infer<typeof TokenCreated>

/** The secret of an emailed link (verification, password reset). */
const LinkToken = z.string().min(16).max(100)
export const VerifyEmailBody = z.strictObject({ token: LinkToken })
export const VerifyEmailResult = z.object({ verified: z.literal(true) }).meta({ id: 'VerifyEmailResult' })
export const PasswordResetBody = z.strictObject({ email: Email })
export const PasswordResetConfirm = z.strictObject({ token: LinkToken, password: Password })
export const Accepted = z.object({ accepted: z.literal(true) }).meta({ id: 'Accepted' })
