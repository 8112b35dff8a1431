import type { ColumnType } from 'kysely'

/** Column types shared by the modules' table declarations (`src/modules/<m>/<m>.tables.ts`). */

/** Timestamps are written as Date (or defaulted by the database) and always read as Date. */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

/** A member's role in a workspace (tenancy's memberships and invitations; every scope check speaks it). */
export type Role = 'owner' | 'admin' | 'member' | 'viewer'
/** The state of a stored message or meeting turn. */
export type MessageStatus = 'complete' | 'streaming' | 'cancelled' | 'failed'
