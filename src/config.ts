import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { isProxyRange } from './platform/http/client-ip.ts'
import { Feature } from '../contracts/features.ts'

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
)

/**
 * Which peers may tell us the client's address in X-Forwarded-For: how many proxies stand in front (a hop count),
 * or their addresses (CIDRs, or proxy-addr's `loopback`, `linklocal`, `uniquelocal`). Never `true`: trusting every
 * peer lets any client choose its own IP, and with it its rate-limit key and what the audit log records.
 */
const TrustProxy = z.string().transform((raw, ctx): false | number | string[] => {
  const v = raw.trim().toLowerCase()
  if (v === 'false') return false
  if (v === 'true') {
    ctx.addIssue({
      code: 'custom',
      message:
        'true is refused: it would trust any X-Forwarded-For a client sends, so anyone could choose their IP ' +
        '(rate limits, sign-in throttles, audit). Set the number of proxies in front of Camarad (e.g. 1) or ' +
        'their addresses as CIDRs (e.g. 10.0.0.0/8,loopback).',
    })
    return z.NEVER
  }
  if (/^\d+$/.test(v)) {
    const hops = Number(v)
    if (hops > 10)
      ctx.addIssue({ code: 'custom', message: 'a hop count is the number of proxies in front of Camarad (0–10).' })
    return hops === 0 ? false : hops
  }
  const ranges = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const invalid = ranges.filter((r) => !isProxyRange(r))
  if (invalid.length)
    ctx.addIssue({ code: 'custom', message: `not a hop count nor proxy addresses/CIDRs: ${invalid.join(', ')}` })
  return ranges
})

/** A blank value (`KEY=` in a copied .env, or only spaces) means the setting is unset. */
export const isBlank = (v: string | undefined) => v === undefined || v.trim() === ''

/** One setting read outside loadConfig (scripts that run before the app): blank is unset. */
export const envSetting = (name: keyof Env, source: NodeJS.ProcessEnv = process.env) =>
  isBlank(source[name]) ? undefined : source[name]

export const Env = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z.string().url().optional(),
  PUBLIC_URL: z.string().url().optional(),
  SECRET_KEY: z.string().optional(),
  INTERNAL_TOKEN: z.string().min(24).optional(),
  CORS_ORIGINS: list.default([]),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: readable, coloured lines on a terminal, JSON lines otherwise (files, containers, log shippers). */
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().positive().default(5),
  LOGIN_MAX_ATTEMPTS_PER_IP: z.coerce.number().int().positive().default(30),
  SIGNUP_MAX_PER_IP_PER_HOUR: z.coerce.number().int().positive().default(20),
  LOGIN_THROTTLE_WINDOW_SECONDS: z.coerce.number().int().positive().default(900),
  SESSION_TTL_DAYS: z.coerce.number().int().positive().default(30),
  INVITATION_TTL_DAYS: z.coerce.number().int().positive().default(7),
  RUN_WORKER: bool.default(true),
  /** A `worker` process serves /metrics on this port (it has no API); unset: no metrics server. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  TRUST_PROXY: TrustProxy.default(false),
  GOOGLE_CLIENT_ID: z.string().optional(),
  GOOGLE_CLIENT_SECRET: z.string().optional(),
  GOOGLE_ISSUER_URL: z.string().url().default('https://accounts.google.com'),
  /**
   * Google connections (ADR 0007): the OAuth token/revoke endpoints' base (the consent page follows it when it is
   * set, unless GOOGLE_OAUTH_AUTHORIZE_URL names it), the Ads REST API's base and version, its developer token, and
   * one base for the GA4 Data and Admin APIs (default: Google's two hosts). Reports are cached this many seconds.
   */
  GOOGLE_OAUTH_BASE: z.string().url().optional(),
  GOOGLE_OAUTH_AUTHORIZE_URL: z.string().url().optional(),
  GOOGLE_ADS_API_BASE: z.string().url().default('https://googleads.googleapis.com'),
  GOOGLE_ADS_API_VERSION: z
    .string()
    .regex(/^v\d+$/)
    .default('v21'),
  GOOGLE_ADS_DEVELOPER_TOKEN: z.string().optional(),
  GOOGLE_ANALYTICS_API_BASE: z.string().url().optional(),
  CONNECTORS_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /**
   * Demo data (issue 15 §4): a client without a live Google connection gets deterministic sample reports, each
   * labelled `demo: true` ("Demo data"), instead of "not connected". Off by default; a connected client never gets it.
   */
  CONNECTORS_DEMO_DATA: bool.default(false),
  WEB_DIST_DIR: z.string().default('./web/dist'),
  /** smtp(s)://user:pass@host:port; without it emails are stored in the outbox for the operator page (and their link logged). */
  SMTP_URL: z
    .string()
    .url()
    .refine((v) => /^smtps?:\/\//.test(v), 'Use smtp:// or smtps://')
    .optional(),
  MAIL_FROM: z.string().min(3).max(254).default('Camarad <no-reply@camarad.local>'),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.string().url().optional(),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  GOOGLE_GENERATIVE_AI_API_KEY: z.string().optional(),
  GOOGLE_GENERATIVE_AI_BASE_URL: z.string().url().optional(),
  GROQ_API_KEY: z.string().optional(),
  GROQ_BASE_URL: z.string().url().optional(),
  OPENAI_COMPATIBLE_BASE_URL: z.string().url().optional(),
  OPENAI_COMPATIBLE_API_KEY: z.string().optional(),
  OPENAI_COMPATIBLE_MODELS: list.default(['llama3.1']),
  EMBEDDINGS_MODEL: z.string().trim().min(1).max(100).optional(),
  KNOWLEDGE_MIN_SIMILARITY: z.coerce.number().min(0).max(1).default(0.3),
  EGRESS_ALLOW_PRIVATE: list.default([]),
  DEMO_REQUESTS_PER_MINUTE: z.coerce.number().int().positive().default(6),
  STATUS_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  OFFLINE_MODEL_CHUNK_DELAY_MS: z.coerce.number().int().min(0).max(1000).default(15),
  CREDITS_WELCOME: z.coerce.number().min(0).max(1_000_000).default(50),
  CREDITS_HOLD_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  CREDITS_PER_REQUEST_CAP: z.coerce.number().positive().optional(),
  CREDITS_RPM_PER_USER: z.coerce.number().int().positive().default(60),
  CREDITS_RPM_PER_WORKSPACE: z.coerce.number().int().positive().default(600),
  CREDITS_MAX_CONCURRENT_STREAMS: z.coerce.number().int().positive().default(10),
  CREDITS_MAX_OPEN_DISPUTES: z.coerce.number().int().positive().default(20),
  /** Live event streams (chat answers, meetings) one user may hold open at once; 429 `stream.too_many` beyond. */
  SSE_MAX_STREAMS_PER_USER: z.coerce.number().int().positive().default(20),
  /** A flow run's slice holds it this long without a checkpoint before another process may take it over (crash). */
  FLOW_LEASE_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  /** Flow runs (with their steps and logs) older than this many days are deleted, daily; unset keeps them all. */
  FLOW_RUN_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  /** How often a process that works jobs looks for flow runs left by a dead process (their lease expired). */
  FLOW_REAP_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  /** Flow runs of one workspace executing at once, across processes; more wait their turn. */
  FLOW_CONCURRENCY_PER_WORKSPACE: z.coerce.number().int().min(1).max(1000).default(10),
  /** Risky features off for the whole installation (comma-separated: whatsapp_qr, auto_reply, campaigns, page_import). */
  FEATURES_OFF: list.pipe(z.array(Feature)).default([]),
  /** Backups (`npm run backup`, and the job when BACKUP_CRON is set): where, and how many are kept. */
  BACKUP_DIR: z.string().default('./backups'),
  BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(7),
  /** A cron expression (UTC) on which a process that works jobs backs the database up; unset: no scheduled backup. */
  BACKUP_CRON: z.string().min(9).max(100).optional(),
  /**
   * WhatsApp Cloud API: the Meta app's secret (signs every webhook; several, comma-separated, while rotating), the
   * verify token Meta echoes when the webhook URL is registered, and the Graph API's base URL and version.
   */
  WHATSAPP_APP_SECRET: z.string().min(16).optional(),
  WHATSAPP_VERIFY_TOKEN: z.string().min(8).max(256).optional(),
  WHATSAPP_GRAPH_API_BASE: z.string().url().default('https://graph.facebook.com'),
  WHATSAPP_GRAPH_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/)
    .default('v21.0'),
  /** A QR number's lease: when a process dies, another takes its numbers within this (and reconnects them). */
  WHATSAPP_QR_LEASE_SECONDS: z.coerce.number().int().min(3).max(600).default(30),
  /**
   * The largest received media file stored (bytes), over every kind: each kind has its own cap below it (image 5 MiB,
   * sticker 1 MiB, audio and video 16 MiB, document 32 MiB); a larger file is listed as too large, not fetched.
   */
  WHATSAPP_MEDIA_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(32 * 1024 * 1024),
  /**
   * The WhatsApp outbox (ADR 0005, "Outbox"): a claimed message is due again this long after its claim when its
   * process died; after an attempt whose outcome is unknown, a retry waits this long for the provider's status echo
   * before sending again; attempts before a message is dead.
   */
  OUTBOX_LEASE_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  OUTBOX_GRACE_SECONDS: z.coerce.number().int().min(0).max(600).default(10),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  BILLING_MARGIN_ALERT_PERCENT: z.coerce.number().min(0).max(100).default(40),
  BILLING_ALERT_WEBHOOK_URL: z.string().url().optional(),
  PLANS_FILE: z.string().default('./config/plans.json'),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  STRIPE_API_BASE: z.string().url().optional(),
  STRIPE_PRICE_STARTER: z.string().optional(),
  STRIPE_PRICE_PRO: z.string().optional(),
  STRIPE_PRICE_AGENCY: z.string().optional(),
  /** A per-credit Stripe price for top-ups (Checkout quantity = credits); without it top-ups are off. */
  STRIPE_PRICE_TOPUP: z.string().optional(),
})
export type Env = z.infer<typeof Env>

export type Config = Omit<Env, 'SECRET_KEY'> & {
  secretKey: string
  secretKeyFile?: string | undefined
  publicUrl: string
  isProduction: boolean
  /** Stripe manages plans when its secret key is set; without it the operator assigns them (self-hosted mode). */
  billingEnabled: boolean
  google?: { clientId: string; clientSecret: string; issuerUrl: string }
}

export class ConfigError extends Error {}

/** Weak keys are refused in production: at least 32 characters and not a single repeated character. */
export const isStrongSecret = (key: string) => key.length >= 32 && new Set(key).size >= 10

const embeddedSecret = (dataDir: string) => {
  const file = join(dataDir, 'secret.key')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dataDir, { recursive: true })
  const key = randomBytes(32).toString('base64url')
  writeFileSync(file, key + '\n', { mode: 0o600 })
  return key
}

/** PostgreSQL when DATABASE_URL is set, else PGlite under DATA_DIR (`:memory:` keeps it in memory, for tests). */
export const databaseOptions = (config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'DATABASE_POOL_SIZE'>) =>
  config.DATABASE_URL
    ? { databaseUrl: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE }
    : { dataDir: config.DATA_DIR === ':memory:' ? undefined : join(config.DATA_DIR, 'pglite') }

/** Reads and validates the environment once at boot; throws ConfigError with every problem listed. */
export const loadConfig = (source: NodeJS.ProcessEnv = process.env): Config => {
  const parsed = Env.safeParse(Object.fromEntries(Object.entries(source).filter(([, v]) => !isBlank(v))))
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const env = parsed.data
  const isProduction = env.NODE_ENV === 'production'
  let secretKey = env.SECRET_KEY
  let secretKeyFile: string | undefined
  if (isProduction && (!secretKey || !isStrongSecret(secretKey)))
    throw new ConfigError(
      'SECRET_KEY is required in production: at least 32 random characters (openssl rand -base64 48)',
    )
  if (!secretKey) {
    if (env.DATABASE_URL && isProduction) throw new ConfigError('SECRET_KEY is required')
    secretKey = embeddedSecret(resolve(env.DATA_DIR))
    secretKeyFile = join(resolve(env.DATA_DIR), 'secret.key')
  }
  // Half a Stripe setup fails silently later: refused at boot in production (tests and development may run either half).
  if (isProduction && env.STRIPE_WEBHOOK_SECRET && !env.STRIPE_SECRET_KEY)
    throw new ConfigError(
      'STRIPE_WEBHOOK_SECRET is set without STRIPE_SECRET_KEY: events would be received but never processed ' +
        '(each would end dead). Set both to turn billing on, or neither for self-hosted mode.',
    )
  if (isProduction && env.STRIPE_SECRET_KEY && !env.STRIPE_WEBHOOK_SECRET)
    throw new ConfigError(
      'STRIPE_SECRET_KEY is set without STRIPE_WEBHOOK_SECRET: Stripe would manage plans but no subscription or ' +
        'invoice event could be received. Set both to turn billing on, or neither for self-hosted mode.',
    )
  const { SECRET_KEY: _omit, ...rest } = env
  return {
    ...rest,
    secretKey,
    /** The generated key's file (no SECRET_KEY set): backups carry it, or sealed secrets could not be opened. */
    secretKeyFile,
    isProduction,
    billingEnabled: Boolean(env.STRIPE_SECRET_KEY),
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
    google:
      env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET
        ? { clientId: env.GOOGLE_CLIENT_ID, clientSecret: env.GOOGLE_CLIENT_SECRET, issuerUrl: env.GOOGLE_ISSUER_URL }
        : undefined,
  }
}
