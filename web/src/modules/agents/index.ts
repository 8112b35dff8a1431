/** Agent settings, and the agents a client can talk to (chat, boardroom, credits filters). */
export { AgentsSettingsPage } from './AgentsSettingsPage.tsx'
export { useAgents } from './queries.ts'
