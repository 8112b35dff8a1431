import type { Bus } from '../../platform/realtime/bus.ts'

/** Past this many threads in one change, followers are told to read everything again (a NOTIFY holds ≈ 8 KB). */
const MAX_IDS = 100

/** What a follower of a client's inbox is told: which threads changed (it reads them again), or all of them. */
export type InboxChange = { threadIds: string[] } | { all: true }

/**
 * The inbox's live fan-out, per client, through the bus every process shares (LISTEN/NOTIFY or Redis): published after
 * the commit of what changed a thread (a message in or out, a status, a send), followed by `GET /api/inbox/events`.
 */
export const createInboxLive = (bus: Bus) => {
  const channel = (clientId: string) => `inbox:${clientId}`
  return {
    publish(clientId: string, threadIds: string[]) {
      const ids = [...new Set(threadIds)]
      if (!ids.length) return
      const change: InboxChange = ids.length > MAX_IDS ? { all: true } : { threadIds: ids }
      // A lost publish is not an error: a follower that reconnects reads everything again.
      void bus.publish(channel(clientId), JSON.stringify(change)).catch(() => undefined)
    },
    subscribe: (clientId: string, onChange: (c: InboxChange) => void, onResync: () => void) =>
      bus.subscribe(channel(clientId), (raw) => onChange(JSON.parse(raw) as InboxChange), onResync),
  }
}
export type InboxLive = ReturnType<typeof createInboxLive>
