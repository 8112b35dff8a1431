/**
 * The built-in agents the public demo offers, copied from src/modules/agents/agents.catalog.ts (the web app
 * cannot import server code). The server validates `agentId` against its own list, so a stale entry here
 * fails with a clear 400 rather than reaching anything it should not.
 */
export const DEMO_AGENTS = [
  { id: 'builtin.personal-assistant', name: 'Personal Assistant', avatar: 'strategist' },
  { id: 'builtin.ppc-specialist', name: 'PPC Specialist', avatar: 'ppc' },
  { id: 'builtin.seo-strategist', name: 'SEO & Content Strategist', avatar: 'seo' },
  { id: 'builtin.copywriter', name: 'Copywriter', avatar: 'copywriter' },
  { id: 'builtin.data-analyst', name: 'Data Analyst', avatar: 'analyst' },
  { id: 'builtin.customer-support', name: 'Customer Support', avatar: 'support' },
] as const

export type DemoAgent = (typeof DEMO_AGENTS)[number]

export const demoAgent = (id: string | null | undefined): DemoAgent =>
  DEMO_AGENTS.find((a) => a.id === id) ?? DEMO_AGENTS[0]

/** The server's limit on a demo message. */
export const DEMO_MESSAGE_MAX = 1000
