/** The workspace's clients, and the one currently chosen (every client-scoped page follows it). */
export { ClientDetailPage } from './ClientDetailPage.tsx'
export { ClientsPage } from './ClientsPage.tsx'
export { clientKeys, listClients } from './api.ts'
export { useCurrentClient } from './current-client.ts'
export { NoClientYet } from './NoClientYet.tsx'
