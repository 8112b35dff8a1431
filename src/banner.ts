import type { Config } from './config.ts'
import type { CatalogEntry } from './modules/models/models.types.ts'
import type { VectorSupport } from './modules/knowledge/vectors.ts'

const PROVIDER_NAMES: Record<CatalogEntry['provider'], string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  google: 'Google',
  groq: 'Groq',
  'openai-compatible': 'OpenAI-compatible',
  offline: 'offline',
}

/** A database URL without its password (`postgres://user@host:5432/db`). */
const withoutSecret = (url: string) => {
  try {
    const u = new URL(url)
    u.password = ''
    return u.toString()
  } catch {
    return 'PostgreSQL (DATABASE_URL)'
  }
}

/**
 * What `npm start` prints once it listens: where it runs, where the data lives, which AI providers are configured
 * and how to add one, how knowledge search works and how logs are written — for the person at the terminal.
 */
export const startBanner = (o: {
  url: string
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'RUN_WORKER' | 'LOG_FORMAT'>
  catalog: readonly Pick<CatalogEntry, 'provider' | 'offline'>[]
  knowledge: VectorSupport
  tty: boolean
}) => {
  const { config } = o
  const counts = new Map<string, number>()
  for (const e of o.catalog.filter((m) => !m.offline))
    counts.set(PROVIDER_NAMES[e.provider], (counts.get(PROVIDER_NAMES[e.provider]) ?? 0) + 1)
  const providers = [...counts].map(([name, n]) => `${name} (${n} model${n === 1 ? '' : 's'})`).join(', ')
  const row = (label: string, ...lines: string[]) =>
    lines.map((l, i) => `  ${(i === 0 ? label : '').padEnd(11)} ${l}`).join('\n')
  return [
    '',
    `  Camarad is running: ${o.url}`,
    '',
    row(
      'Data',
      config.DATABASE_URL
        ? `PostgreSQL at ${withoutSecret(config.DATABASE_URL)}`
        : config.DATA_DIR === ':memory:'
          ? 'in memory (DATA_DIR=:memory:): gone when this process stops'
          : `PGlite in ${config.DATA_DIR}/pglite — back it up with \`npm run backup\``,
    ),
    row('Jobs', config.RUN_WORKER ? 'worked in this process' : 'not here (RUN_WORKER=false): start `npm run worker`'),
    providers
      ? row('AI models', providers, 'more: a workspace adds its own key under Settings → AI providers')
      : row(
          'AI models',
          'none configured — answers come from the offline demo model, labelled "demo".',
          'Add OPENAI_API_KEY or ANTHROPIC_API_KEY to .env and restart, or add a',
          "workspace's own key under Settings → AI providers.",
        ),
    row(
      'Knowledge',
      o.knowledge.available
        ? `hybrid search (full-text + pgvector ${o.knowledge.version}) where an embeddings model is set`
        : `full-text search (${o.knowledge.reason})`,
    ),
    row(
      'Logs',
      o.tty && config.LOG_FORMAT !== 'json'
        ? 'readable lines here; LOG_FORMAT=json for JSON lines'
        : 'JSON lines (LOG_FORMAT=pretty for readable ones)',
    ),
    '',
  ].join('\n')
}
