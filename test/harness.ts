import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import pg from 'pg'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { createContainer, type Container, type ContainerOptions } from '../src/container.ts'
import { createDatabase, type Database } from '../src/platform/db/database.ts'
import { migrateToLatest } from '../src/platform/db/migrator.ts'
import type { DB } from '../src/schema.ts'
import type { OutboxEmailDto } from '../contracts/mail.ts'
import { pgliteSnapshotPath, postgresTemplateName } from './global-setup.ts'

export const ORIGIN = 'http://camarad.test'
export const driver = process.env.TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite'

/** The migrated PGlite dump, read once per test file's process (PGlite copies it in; the Blob is never changed). */
let snapshot: { path: string; blob?: Blob } | undefined
const pgliteSnapshot = () => {
  const path = pgliteSnapshotPath()
  if (snapshot?.path !== path) snapshot = { path, blob: existsSync(path) ? new Blob([readFileSync(path)]) : undefined }
  return snapshot.blob
}

/**
 * A fresh database per test file: an in-memory PGlite, or a new PostgreSQL database dropped afterwards. Empty, unless
 * `migrated`: then a copy of the migrated database `test/global-setup.ts` built for this run (PGlite: the dump to
 * start from, in `pgliteSnapshot`; PostgreSQL: a database created from the template), or an empty one when there is
 * none (a run without the global setup), which the app migrates on start as it does anyway.
 */
export const createTestDatabaseUrl = async (options: { migrated?: boolean } = {}) => {
  if (driver !== 'postgres') {
    return { url: undefined, pgliteSnapshot: options.migrated ? pgliteSnapshot() : undefined, drop: async () => {} }
  }
  const admin = process.env.TEST_DATABASE_URL
  if (!admin) throw new Error('TEST_DRIVER=postgres needs TEST_DATABASE_URL')
  const name = `camarad_t_${randomBytes(6).toString('hex')}`
  const client = new pg.Client({ connectionString: admin })
  await client.connect()
  try {
    if (!options.migrated) await client.query(`CREATE DATABASE ${name}`)
    else {
      const template = postgresTemplateName()
      const found = await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [template])
      await client.query(`CREATE DATABASE ${name}${found.rowCount === 1 ? ` TEMPLATE ${template}` : ''}`)
    }
  } finally {
    await client.end()
  }
  const url = new URL(admin)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    pgliteSnapshot: undefined,
    drop: async () => {
      const c = new pg.Client({ connectionString: admin })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}

/**
 * A fresh database (`createTestDatabaseUrl`), opened and migrated from scratch, for tests below the app (the ledger,
 * the price book); `close()` closes it and drops it.
 */
export const openMigratedDatabase = async (): Promise<{ database: Database<DB>; close(): Promise<void> }> => {
  const target = await createTestDatabaseUrl()
  const database = await createDatabase<DB>({ databaseUrl: target.url })
  await migrateToLatest(database.db)
  return {
    database,
    close: async () => {
      await database.close()
      await target.drop()
    },
  }
}

export type TestContext = { app: FastifyInstance; container: Container; close(): Promise<void> }

/** The container behind each test app, so helpers that take only the app can read the outbox through the mail module. */
const containers = new WeakMap<FastifyInstance, Container>()

/** The operator token every test server accepts in X-Internal-Token. */
export const TEST_INTERNAL_TOKEN = 'test-operator-token-0123456789-abcdef'

export const createTestContext = async (
  env: Record<string, string> = {},
  options: {
    logStream?: { write(line: string): void }
    egressLookup?: ContainerOptions['egressLookup']
    qrSocketFactory?: ContainerOptions['qrSocketFactory']
  } = {},
): Promise<TestContext> => {
  const database = await createTestDatabaseUrl({ migrated: true })
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: ':memory:',
    RUN_WORKER: 'false',
    PUBLIC_URL: ORIGIN,
    SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop',
    WEB_DIST_DIR: './.tmp/no-web',
    // Suites sign up many users from one address; the throttle tests set these low themselves.
    SIGNUP_MAX_PER_IP_PER_HOUR: '100000',
    OFFLINE_MODEL_CHUNK_DELAY_MS: '0',
    LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
    RATE_LIMIT_PER_MINUTE: '100000',
    CREDITS_RPM_PER_USER: '100000',
    CREDITS_RPM_PER_WORKSPACE: '100000',
    CREDITS_MAX_CONCURRENT_STREAMS: '1000',
    INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
    // The real catalog with every limit lifted, so suites about other features are not stopped by plan limits;
    // test/api/plans.test.ts passes PLANS_FILE=config/plans.json.
    PLANS_FILE: 'test/fixtures/plans-unlimited.json',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...env,
  })
  const container = await createContainer(config, {
    supervise: false,
    // The embedded database in memory starts from the migrated dump (not one under a DATA_DIR or at a DATABASE_URL).
    pgliteSnapshot: !config.DATABASE_URL && config.DATA_DIR === ':memory:' ? database.pgliteSnapshot : undefined,
    egressLookup: options.egressLookup,
    // No test reaches WhatsApp: a suite that runs QR numbers passes its stand-in.
    qrSocketFactory:
      options.qrSocketFactory ??
      (() => Promise.reject(new Error('This test server has no WhatsApp Web socket (pass qrSocketFactory).'))),
  })
  const app = await buildApp(container, { logStream: options.logStream })
  await app.ready()
  containers.set(app, container)
  return {
    app,
    container,
    async close() {
      await app.close()
      await container.close()
      await database.drop()
    },
  }
}

export type Caller = {
  cookie?: string
  token?: string
  workspaceId?: string
  origin?: string | null
  headers?: Record<string, string>
}

/** One request as a browser (cookie + same origin) or an API client (Bearer) would send it. */
export const call = (
  app: FastifyInstance,
  method: InjectOptions['method'],
  url: string,
  as: Caller = {},
  body?: unknown,
) => {
  const headers: Record<string, string> = { ...as.headers }
  if (as.cookie) headers.cookie = as.cookie
  if (as.token) headers.authorization = `Bearer ${as.token}`
  if (as.workspaceId) headers['x-workspace-id'] = as.workspaceId
  if (as.origin !== null) headers.origin = as.origin ?? ORIGIN
  return app.inject({
    method,
    url,
    headers,
    ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
  })
}

export const sessionCookie = (setCookie: string | string[] | undefined) => {
  const first = Array.isArray(setCookie) ? setCookie[0] : setCookie
  if (!first) throw new Error('no session cookie set')
  return first.split(';')[0]!
}

let counter = 0
export const uniqueEmail = (label = 'user') => `${label}-${Date.now().toString(36)}-${++counter}@example.test`

export type TestUser = { id: string; email: string; password: string; cookie: string }

/**
 * The emails the server stored for `to`, newest first: through the mail module's list (what the operator endpoint
 * serves), or `GET /api/operator/emails` for an app built outside `createTestContext`.
 */
export const emailsTo = async (app: FastifyInstance, to: string): Promise<OutboxEmailDto[]> => {
  const container = containers.get(app)
  if (container) return (await container.mail.mail.list({ to, limit: 100 })).items
  const res = await call(app, 'GET', `/api/operator/emails?to=${encodeURIComponent(to)}&limit=100`, {
    headers: { 'x-internal-token': TEST_INTERNAL_TOKEN },
  })
  if (res.statusCode !== 200) throw new Error(`emails failed: ${res.statusCode} ${res.body}`)
  return res.json().items
}

/** The token of the newest emailed link of `kind` sent to `to` (`verify_email`, `reset_password`, `invitation`). */
export const linkToken = async (app: FastifyInstance, to: string, kind: string) => {
  const email = (await emailsTo(app, to)).find((e) => e.kind === kind)
  if (!email?.link) throw new Error(`no ${kind} email to ${to}`)
  return new URL(email.link).searchParams.get('token') ?? new URL(email.link).pathname.split('/').pop()!
}

/** Verifies the user's email through the real flow: the stored verification email's link, then POST /api/auth/verify-email. */
export const verifyEmail = async (app: FastifyInstance, email: string) => {
  const res = await call(
    app,
    'POST',
    '/api/auth/verify-email',
    {},
    { token: await linkToken(app, email, 'verify_email') },
  )
  if (res.statusCode !== 200) throw new Error(`verify failed: ${res.statusCode} ${res.body}`)
}

/**
 * Signs up a new user and, unless `verify: false`, verifies their email through the emailed link (free credits go to
 * verified people only, and most suites spend welcome credits).
 */
export const signup = async (
  app: FastifyInstance,
  label = 'user',
  options: { verify?: boolean } = {},
): Promise<TestUser> => {
  const email = uniqueEmail(label)
  const password = `correct horse ${label} battery`
  const res = await call(app, 'POST', '/api/auth/signup', {}, { email, password, name: label })
  if (res.statusCode !== 201) throw new Error(`signup failed: ${res.statusCode} ${res.body}`)
  if (options.verify ?? true) await verifyEmail(app, email)
  return { id: res.json().user.id, email, password, cookie: sessionCookie(res.headers['set-cookie']) }
}

export const login = async (app: FastifyInstance, user: { email: string; password: string }) => {
  const res = await call(app, 'POST', '/api/auth/login', {}, { email: user.email, password: user.password })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  return sessionCookie(res.headers['set-cookie'])
}

/** A user with a workspace (as owner) and its first client. */
export const onboard = async (app: FastifyInstance, label = 'owner') => {
  const user = await signup(app, label)
  const res = await call(
    app,
    'POST',
    '/api/auth/onboarding',
    { cookie: user.cookie },
    { workspaceName: `${label} agency`, clientName: `${label} client` },
  )
  if (res.statusCode !== 201) throw new Error(`onboarding failed: ${res.statusCode} ${res.body}`)
  const { workspace, client } = res.json()
  return { user, workspaceId: workspace.id as string, clientId: client.id as string }
}

export const createToken = async (app: FastifyInstance, user: TestUser, name = 'test token') => {
  const res = await call(app, 'POST', '/api/tokens', { cookie: user.cookie }, { name })
  if (res.statusCode !== 201) throw new Error(`token failed: ${res.statusCode} ${res.body}`)
  return res.json() as { token: string; apiToken: { id: string } }
}

/** Adds `user` to the workspace with `role` through the real invitation flow. */
export const addMember = async (
  app: FastifyInstance,
  owner: TestUser,
  workspaceId: string,
  role: 'admin' | 'member' | 'viewer',
  label: string = role,
) => {
  const member = await signup(app, label)
  const inv = await call(
    app,
    'POST',
    `/api/workspaces/${workspaceId}/invitations`,
    { cookie: owner.cookie },
    { email: member.email, role },
  )
  if (inv.statusCode !== 201) throw new Error(`invite failed: ${inv.statusCode} ${inv.body}`)
  const token = new URL(inv.json().acceptUrl).pathname.split('/').pop()!
  const acc = await call(app, 'POST', `/api/invitations/${token}/accept`, { cookie: member.cookie })
  if (acc.statusCode !== 200) throw new Error(`accept failed: ${acc.statusCode} ${acc.body}`)
  return member
}
