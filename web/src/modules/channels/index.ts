/** WhatsApp numbers of the current client: pairing (QR, pairing code), Cloud API numbers, health and traffic. */
export { NumbersPage } from './pages.tsx'
export { channelKeys, listChannels, listMessageTemplates } from './api.ts'
export type { MessageTemplate } from './api.ts'
