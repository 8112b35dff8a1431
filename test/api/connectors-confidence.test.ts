import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { googleError, startFakeGoogle, type FakeGoogle } from '../fakes/google.ts'
import { call, createTestContext, driver, onboard, type TestContext } from '../harness.ts'

/**
 * `npm run confidence` (issue 15 §10) as an operator runs it: a child process against the loopback Google. Passing
 * failures (503) are retried and pass; 401 and 404 stop the run at once without a retry; the exit code says whether
 * every attempt passed.
 */
const ROOT = resolve(import.meta.dirname, '../..')
const google = { clientId: 'camarad-confidence-test', clientSecret: 'confidence-test-secret' }
const SECRET_KEY = 'test-secret-key-0123456789-abcdefghijklmnop'
const ACCOUNT = '4444444444'
const PROPERTY = '987654321'
let fake: FakeGoogle

beforeAll(async () => {
  fake = await startFakeGoogle(google)
  fake.addAccount({ id: ACCOUNT, name: 'Direct shop' }, { accessible: true })
  fake.addAdsRows({
    customerId: ACCOUNT,
    kind: 'campaign',
    id: '101',
    name: 'Brand',
    date: '2026-11-01',
    impressions: 100,
    clicks: 5,
    costMicros: '1000000',
    conversions: 1,
    conversionsValue: 10,
  })
  fake.addGaAccount({ account: '555', displayName: 'Shop GA', properties: [{ id: PROPERTY, name: 'shop.ro' }] })
  fake.addGaRows({ propertyId: PROPERTY, dimension: 'date', value: '', date: '2026-11-02', metrics: { sessions: '9' } })
})
afterAll(async () => {
  await fake?.close()
})
beforeEach(() => {
  fake.failures.ads.length = 0
  fake.failures.ga.length = 0
})

const confidence = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; out: string }>((done) => {
    const child = spawn(process.execPath, ['scripts/confidence.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        GOOGLE_CLIENT_ID: google.clientId,
        GOOGLE_CLIENT_SECRET: google.clientSecret,
        GOOGLE_OAUTH_BASE: fake.base,
        GOOGLE_ADS_API_BASE: fake.base,
        GOOGLE_ANALYTICS_API_BASE: fake.base,
        ...env,
      },
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('close', (code) => done({ code, out }))
  })
const bare = (attempts: number, extra: string[] = []) => [
  '--attempts',
  String(attempts),
  '--refresh-token',
  fake.issueRefreshToken(),
  '--from',
  '2026-11-01',
  '--to',
  '2026-11-07',
  '--backoff-ms',
  '5',
  ...extra,
]
const listings = () => fake.stats.ads.filter((c) => c.path.endsWith(':listAccessibleCustomers')).length

describe('npm run confidence with a refresh token', () => {
  it('refreshes, lists accounts and runs the reports N times, and says all passed', async () => {
    const refreshes = fake.stats.refreshes
    const { code, out } = await confidence(bare(3, ['--property', PROPERTY]))
    expect(out).toContain(`attempt 1/3: passed (1 accessible accounts, Ads ${ACCOUNT}: 1 campaigns`)
    expect(out).toContain(`GA4 property ${PROPERTY}: 1 days`)
    expect(out).toContain('confidence: 3/3 passed')
    expect(code).toBe(0)
    expect(fake.stats.refreshes - refreshes).toBe(3)
  })

  it('retries a 503 with backoff and still passes', async () => {
    const before = listings()
    fake.failures.ads.push({
      status: 503,
      body: googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.'),
    })
    const { code, out } = await confidence(bare(2))
    expect(out).toMatch(/accounts: 503 UNAVAILABLE: The service is currently unavailable\. — retrying in \d+ ms/)
    expect(out).toContain('confidence: 2/2 passed')
    expect(code).toBe(0)
    // Two attempts, the first one's listing retried once.
    expect(listings() - before).toBe(3)
  })

  it.each([
    [401, googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.')],
    [404, googleError(404, 'NOT_FOUND', 'Requested entity was not found.')],
  ])('stops at once on a %i, without a retry, and exits non-zero', async (status, body) => {
    const calls = fake.stats.ads.length
    fake.failures.ads.push({ status, body })
    const { code, out } = await confidence(bare(4))
    expect(out).toContain(`attempt 1/4: failed — accounts: ${status}`)
    expect(out).toContain('not retried')
    expect(out).toContain('confidence: 0/4 passed')
    expect(code).toBe(1)
    expect(fake.stats.ads.length - calls).toBe(1)
  })

  it('stops when Google refuses the grant (invalid_grant)', async () => {
    const args = bare(2)
    fake.revokeAll()
    const { code, out } = await confidence(args)
    expect(out).toContain('refresh: token endpoint invalid_grant')
    expect(out).toContain('confidence: 0/2 passed')
    expect(code).toBe(1)
  })

  it('refuses bad arguments with its usage (exit 2)', async () => {
    const { code, out } = await confidence(['--attempts', 'many'])
    expect(code).toBe(2)
    expect(out).toContain('usage: npm run confidence')
  })
})

describe.skipIf(driver !== 'postgres')('npm run confidence on a stored connection', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext({
      GOOGLE_CLIENT_ID: google.clientId,
      GOOGLE_CLIENT_SECRET: google.clientSecret,
      GOOGLE_OAUTH_BASE: fake.base,
      GOOGLE_ADS_API_BASE: fake.base,
      GOOGLE_ANALYTICS_API_BASE: fake.base,
      SECRET_KEY,
    })
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it("refreshes the client's connection through the connectors module and reports on its picks", async () => {
    const o = await onboard(ctx.app, 'confidence')
    const start = await call(ctx.app, 'POST', '/api/connectors/google/start', o.user, { clientId: o.clientId })
    const state = [start.headers['set-cookie']].flat().find((c) => c?.startsWith('camarad_google_connect='))!
    const back = new URL((await fetch(start.json().url, { redirect: 'manual' })).headers.get('location')!)
    const cookie = `${o.user.cookie}; ${state.split(';')[0]}`
    expect((await call(ctx.app, 'GET', back.pathname + back.search, { cookie })).statusCode).toBe(302)
    const id = (await call(ctx.app, 'GET', `/api/connectors?clientId=${o.clientId}`, o.user)).json().items[0].id
    await call(ctx.app, 'PUT', `/api/connectors/${id}/ads/account`, o.user, { customerId: ACCOUNT })
    const refreshes = fake.stats.refreshes
    const { code, out } = await confidence(
      [
        '--attempts',
        '2',
        '--workspace',
        o.workspaceId,
        '--client',
        o.clientId,
        '--from',
        '2026-11-01',
        '--to',
        '2026-11-07',
      ],
      { DATABASE_URL: ctx.container.config.DATABASE_URL!, SECRET_KEY, RUN_WORKER: 'false' },
    )
    expect(out).toContain(`on connection ${id}`)
    expect(out).toContain(`Ads ${ACCOUNT}: 1 campaigns`)
    expect(out).toContain('confidence: 2/2 passed')
    expect(code).toBe(0)
    expect(fake.stats.refreshes - refreshes).toBe(2)
    const after = (await call(ctx.app, 'GET', `/api/connectors/${id}`, o.user)).json()
    expect(after.lastRefreshedAt).not.toBeNull()
  })
})
