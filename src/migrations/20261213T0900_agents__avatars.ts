import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Avatars without emoji: `agents.avatar` names what is drawn — a built-in design's key or `initials` (generated from
 * the name in the web app). Emoji chosen before render as empty boxes where no emoji font is installed, so every
 * custom agent starts again from its initials. A custom agent's uploaded picture is its own row (the bytes are not
 * read with every list of agents), removed with the agent.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `UPDATE agents SET avatar = 'initials'`,
    `ALTER TABLE agents ALTER COLUMN avatar SET DEFAULT 'initials'`,
    `ALTER TABLE agents ADD CONSTRAINT agents_avatar_key
      CHECK (avatar IN ('strategist', 'ppc', 'seo', 'copywriter', 'analyst', 'support', 'initials'))`,
    `CREATE TABLE agent_avatars (
    agent_id text PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    mime text NOT NULL CHECK (mime IN ('image/png', 'image/jpeg', 'image/webp')),
    data bytea NOT NULL CHECK (octet_length(data) BETWEEN 1 AND 524288),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    updated_by text NOT NULL REFERENCES users (id),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  ])

export const down = undefined
