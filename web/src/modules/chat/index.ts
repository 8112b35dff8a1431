/** Conversations with one agent, answers streamed live. */
export { ChatHomePage } from './ChatHomePage.tsx'
export { ConversationPage } from './ConversationPage.tsx'
export { ConversationsPage } from './ConversationsPage.tsx'
