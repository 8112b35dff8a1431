import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config.ts'
import {
  connectorsSettingsFrom,
  presetRange,
  refreshWith,
  runConfidence,
  type ConnectorsModule,
} from '../src/modules/connectors/connectors.module.ts'

/**
 * `npm run confidence -- --attempts 20 …`: is this server's Google setup dependable? Each attempt refreshes the
 * access token, lists the accessible Google Ads accounts and runs a report, against Google or the fakes that
 * GOOGLE_OAUTH_BASE / GOOGLE_ADS_API_BASE / GOOGLE_ANALYTICS_API_BASE name. 502/503/504 are retried with backoff;
 * 401/404 stop the run. Prints `confidence: X/N passed`; exits 1 unless all passed (2 on bad arguments).
 *
 *   --workspace <ws_…> --client <cl_…>   a client's stored connection (through the connectors module, on the database
 *                                        of DATABASE_URL or DATA_DIR): its refresh token, Ads account and GA4 property
 *   --refresh-token <token>               a bare run with a refresh token (or GOOGLE_REFRESH_TOKEN, kept out of history)
 *   --customer <id> [--login-customer <id>] [--property <id>]   what to report on (overrides the connection's picks)
 *   --from/--to <YYYY-MM-DD>              the report's range (default the last 7 days up to yesterday, UTC)
 *   --backoff-ms <ms>                     the first retry's delay (default 1000, doubled each retry)
 */
const USAGE =
  'usage: npm run confidence -- --attempts N (--workspace <ws_id> --client <cl_id> | --refresh-token <token>)\n' +
  '       [--customer <id>] [--login-customer <id>] [--property <id>] [--from YYYY-MM-DD --to YYYY-MM-DD]'

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`)
  process.exit(2)
}

let args
try {
  args = parseArgs({
    options: {
      attempts: { type: 'string', default: '5' },
      workspace: { type: 'string' },
      client: { type: 'string' },
      'refresh-token': { type: 'string' },
      customer: { type: 'string' },
      'login-customer': { type: 'string' },
      property: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'backoff-ms': { type: 'string', default: '1000' },
    },
  }).values
} catch (err) {
  fail((err as Error).message)
}
const a = args!
const attempts = Number(a.attempts)
if (!Number.isInteger(attempts) || attempts < 1 || attempts > 1000) fail('--attempts must be a whole number, 1–1000.')
const backoffMs = Number(a['backoff-ms'])
if (!Number.isFinite(backoffMs) || backoffMs < 0) fail('--backoff-ms must be a number of milliseconds.')
const digits = (v: string | undefined, flag: string) => {
  const d = v?.replace(/-/g, '')
  if (d !== undefined && !/^\d{1,20}$/.test(d)) fail(`${flag} must be a numeric id.`)
  return d
}
const isoDate = /^\d{4}-\d{2}-\d{2}$/
if ((a.from && !isoDate.test(a.from)) || (a.to && !isoDate.test(a.to))) fail('--from/--to must be YYYY-MM-DD.')
const range = a.from && a.to ? { from: a.from, to: a.to } : presetRange('last_7_days', new Date())
const refreshToken = a['refresh-token'] ?? process.env.GOOGLE_REFRESH_TOKEN
if (!refreshToken && !(a.client && a.workspace))
  fail('Name a stored connection (--workspace and --client) or give a refresh token (--refresh-token).')

const config = loadConfig()
const settings = connectorsSettingsFrom(config)
if (!settings.google) fail('GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are not set: there is no Google client to test.')

let target = {
  customerId: digits(a.customer, '--customer'),
  loginCustomerId: digits(a['login-customer'], '--login-customer') ?? null,
  propertyId: digits(a.property, '--property'),
}
let refresh: () => Promise<string>
let close = async () => {}

if (refreshToken && !a.client) {
  console.log(`confidence: ${attempts} attempts with a bare refresh token, ${range.from} to ${range.to}`)
  refresh = refreshWith(settings, refreshToken)
} else {
  // The stored connection, through the connectors module's public API (its tables stay its own).
  const { createContainer } = await import('../src/container.ts')
  const c = await createContainer(config, { supervise: false })
  close = () => c.close()
  const connectors: ConnectorsModule = c.connectors
  const status = await connectors.reports.statusFor({ workspaceId: a.workspace!, clientId: a.client! })
  const conn = status.google
  if (!conn || conn.status !== 'connected') {
    console.error(`confidence: client ${a.client} has no usable Google connection (${conn?.status ?? 'none'})`)
    await close()
    process.exit(1)
  }
  target = {
    customerId: target.customerId ?? conn.ads?.customerId,
    loginCustomerId: target.customerId ? target.loginCustomerId : (conn.ads?.loginCustomerId ?? null),
    propertyId: target.propertyId ?? conn.analytics?.propertyId,
  }
  console.log(`confidence: ${attempts} attempts on connection ${conn.id}, ${range.from} to ${range.to}`)
  // A real refresh each attempt, single-flight and written back like any other (the token version moves).
  refresh = async () => {
    const current = await connectors.tokens.accessToken(conn.id)
    return (await connectors.tokens.accessToken(conn.id, { staleVersion: current.version })).token
  }
}

try {
  const result = await runConfidence({
    attempts,
    settings,
    refresh,
    target,
    range,
    backoffMs,
    log: (line) => console.log(line),
  })
  process.exitCode = result.passed === result.attempts ? 0 : 1
} finally {
  await close()
}
