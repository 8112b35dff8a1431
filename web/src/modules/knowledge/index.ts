/** A client's knowledge base: documents and web pages the agents search and cite. */
export { KnowledgePage } from './KnowledgePage.tsx'
