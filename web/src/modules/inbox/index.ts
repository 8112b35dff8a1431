/** The client's WhatsApp inbox: conversations, live updates, replies with delivery ticks, assignment, labels, notes. */
export { InboxPage } from './pages.tsx'
