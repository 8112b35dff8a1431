import { z } from 'zod'

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable dotted code, e.g. `tenancy.client_not_found`' }),
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string().optional(),
    }),
  })
  .meta({ id: 'Error' })
export type ErrorBody = z.infer<typeof ErrorBody>

export const Role = z.enum(['owner', 'admin', 'member', 'viewer'])
export type Role = z.infer<typeof Role>

/** Our ids: a short kind prefix, `_`, random URL-safe characters (`ws_…`, `cl_…`; see src/platform/db/ids.ts). */
export const ID_PATTERN = /^[a-z]{2,8}_[A-Za-z0-9_-]{10,40}$/
/** A path id. One that cannot be an id answers 404 like an unknown one (the error handler maps params failures). */
export const Id = z.string().regex(ID_PATTERN)
export const IdParam = z.strictObject({ id: Id })

export const Timestamp = z.iso.datetime()

export const PageQuery = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
})

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() })

export const Email = z
  .email()
  .max(254)
  .transform((e) => e.trim().toLowerCase())
export const Name = z.string().trim().min(1).max(100)
