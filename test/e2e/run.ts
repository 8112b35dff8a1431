import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { scenarios } from './scenarios.ts'
import { pricedScenarios } from './priced-scenarios.ts'
import { operatorScenarios, usageScenarios } from './usage-scenarios.ts'
import { plansOperatorScenarios, plansScenarios } from './plans-scenarios.ts'
import { checkoutScenarios, E2E_STRIPE } from './checkout-scenarios.ts'
import { startFakeOpenAI } from '../fakes/openai-upstream.ts'
import { startFakeStripe } from '../fakes/stripe.ts'
import { startSmtpServer } from '../fakes/smtp-server.ts'
import { emailScenarios, outboxScenarios } from './email-scenarios.ts'
import { flowsScenarios } from './flows-scenarios.ts'
import { inboxScenarios, startE2eWhatsApp } from './inbox-scenarios.ts'
import { qrScenarios } from './qr-scenarios.ts'
import { crmScenarios } from './crm-scenarios.ts'
import { avatarsScenarios } from './avatars-scenarios.ts'
import { knowledgeChatScript, knowledgePricedScenarios, knowledgeScenarios } from './knowledge-scenarios.ts'
import { startWarRoomServices, warroomScenarios } from './warroom-scenarios.ts'
// status: a server of its own on a fresh PostgreSQL database (started and stopped by the scenario)
import { statusScenarios } from './status-scenarios.ts'
import { connectorsScenarios, startE2eGoogle } from './connectors-scenarios.ts'
// Alerts (issue 17 §4): on the first server (the real plans: Free allows 2 clients).
import { alertsScenarios } from './alerts-scenarios.ts'
// Layout at three sizes and the toasts of failed actions (issue 18 §2, §3): on the first server (Free: 2 clients).
import { polishScenarios } from './polish-scenarios.ts'

/**
 * Browser tests: starts Camarad exactly as `npm start` does (fresh PGlite data dir, random port), drives the
 * system Chromium through playwright-core, saves screenshots to test-results/e2e/, and prints
 * `e2e: N passed, M failed`.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SHOTS = resolve('test-results/e2e')

const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => ok(port))
    })
  })

const waitReady = async (url: string, server: ChildProcess) => {
  for (let i = 0; i < 240; i++) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`)
    try {
      if ((await fetch(`${url}/readyz`)).ok) return
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error('server did not become ready in 120 s')
}

/** The operator token of the priced server (operator pages and grants). */
export const E2E_INTERNAL_TOKEN = 'e2e-operator-token-0123456789-abcdefgh'

const startServer = async (dataDir: string, env: Record<string, string> = {}, at?: number) => {
  const port = at ?? (await freePort())
  const baseUrl = `http://127.0.0.1:${port}`
  const server = spawn(process.execPath, ['scripts/start.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      PUBLIC_URL: baseUrl,
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      REDIS_URL: '',
      // Every scenario signs up from 127.0.0.1: the suite passes the default hourly allowance per address (20).
      SIGNUP_MAX_PER_IP_PER_HOUR: '1000',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  return { baseUrl, server }
}

/** The link of the newest email to `to` received by the loopback SMTP server (the first server delivers there). */
const linkOverSmtp = (smtp: Awaited<ReturnType<typeof startSmtpServer>>) => async (to: string, path: string) => {
  const pattern = new RegExp(`https?://\\S+${path}\\?token=[\\w-]+`)
  const mail = await smtp.waitFor(to, 20_000, (m) => pattern.test(m.text ?? ''))
  return pattern.exec(mail.text ?? '')![0]
}

/** The link of the newest stored email to `to`, read through the operator API (servers without SMTP_URL). */
const linkFromOutbox = (baseUrl: string) => async (to: string, path: string) => {
  for (let i = 0; i < 40; i++) {
    const res = await fetch(`${baseUrl}/api/operator/emails?to=${encodeURIComponent(to)}`, {
      headers: { 'x-internal-token': E2E_INTERNAL_TOKEN },
    })
    const { items } = (await res.json()) as { items: { link: string | null }[] }
    const link = items.find((e) => e.link?.includes(`${path}?token=`))?.link
    if (link) return link
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`no email with a ${path} link to ${to}`)
}

const main = async () => {
  mkdirSync(SHOTS, { recursive: true })
  const dataDir = mkdtempSync(join(tmpdir(), 'camarad-e2e-'))
  const pricedDir = mkdtempSync(join(tmpdir(), 'camarad-e2e-priced-'))
  const billingDir = mkdtempSync(join(tmpdir(), 'camarad-e2e-billing-'))
  // The fourth one connects its QR numbers to the WhatsApp Web stand-in (its "phone" is a loopback control server) and
  // is restarted by its scenario.
  const qrDir = mkdtempSync(join(tmpdir(), 'camarad-e2e-qr-'))
  const standinDir = mkdtempSync(join(tmpdir(), 'camarad-e2e-standin-'))
  // The QR server (the WhatsApp Web stand-in, no AI provider, no plan limits) also runs the CRM scenarios: a Cloud
  // number through the fake Graph API, and AI answers from the offline model; and the connectors scenarios: Google
  // (OAuth consent, Ads, GA4) is a loopback fake.
  const google = await startE2eGoogle()
  const qrEnv = () => ({
    CAMARAD_WA_STANDIN: standinDir,
    INTERNAL_TOKEN: E2E_INTERNAL_TOKEN,
    PLANS_FILE: 'test/fixtures/plans-unlimited.json',
    ...whatsapp.env,
    ...google.env,
  })
  // The first server has no AI provider (the offline model) and sends its emails to a loopback SMTP server; the second
  // one calls a loopback fake of OpenAI's wire format, priced like gpt-4o-mini, so credits are estimated, held and
  // charged as in production (it and the third keep their emails in the outbox, read through the operator API). The
  // first one's egress guard lets flows call loopback servers the tests run (EGRESS_ALLOW_PRIVATE).
  const smtp = await startSmtpServer()
  const { baseUrl, server } = await startServer(dataDir, {
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Camarad <hello@e2e.test>',
    EGRESS_ALLOW_PRIVATE: '127.0.0.0/8',
  })
  const fake = await startFakeOpenAI({
    text: 'Lead with the seasonal menu, then add a limited-time offer for weekday lunches and a referral bonus.',
    chunks: 12,
    chunkDelayMs: 120,
    usage: { prompt_tokens: 600, completion_tokens: 24 },
    // The knowledge walkthrough's question is answered with search_knowledge and a citation; everything else as above.
    ...knowledgeChatScript,
  })
  // The third one takes payments through a loopback fake Stripe: its hosted Checkout and portal pages send signed
  // webhooks to this server, as Stripe would.
  const stripe = await startFakeStripe()
  for (const [price, cents] of Object.entries(E2E_STRIPE.cents)) stripe.price(price, cents)
  // The priced and QR servers' WhatsApp Cloud numbers talk to a loopback fake of Meta's Graph API, which signs its
  // webhooks.
  const whatsapp = await startE2eWhatsApp()
  let priced: Awaited<ReturnType<typeof startServer>> | undefined
  let billing: Awaited<ReturnType<typeof startServer>> | undefined
  let qr: Awaited<ReturnType<typeof startServer>> | undefined
  const restartQr = async () => {
    const { server: old, baseUrl: url } = qr!
    old.kill('SIGTERM')
    await new Promise((r) => old.once('exit', r).once('error', r))
    qr = await startServer(qrDir, qrEnv(), Number(new URL(url).port))
    await waitReady(qr.baseUrl, qr.server)
  }
  // War Room (issue 15 §8): a server of its own, with a fake Google and a scripted fake OpenAI.
  const warroomDir = mkdtempSync(join(tmpdir(), 'camarad-e2e-warroom-'))
  const warroomServices = await startWarRoomServices()
  let warroom: Awaited<ReturnType<typeof startServer>> | undefined
  let browser: Browser | undefined
  let passed = 0
  let failed = 0
  /** Repeated after the run: the servers' logs bury a failure's stack, and CI shows only the output's tail. */
  const failures: string[] = []
  try {
    await waitReady(baseUrl, server)
    // Started once the first one is up: it reuses the web build the first one made.
    priced = await startServer(pricedDir, {
      OPENAI_API_KEY: 'sk-e2e-fake',
      OPENAI_BASE_URL: fake.url,
      INTERNAL_TOKEN: E2E_INTERNAL_TOKEN,
      CREDITS_WELCOME: '5',
      ...whatsapp.env,
    })
    billing = await startServer(billingDir, {
      INTERNAL_TOKEN: E2E_INTERNAL_TOKEN,
      STRIPE_SECRET_KEY: 'sk_test_e2e',
      STRIPE_WEBHOOK_SECRET: E2E_STRIPE.secret,
      STRIPE_API_BASE: stripe.url,
      ...E2E_STRIPE.prices,
    })
    qr = await startServer(qrDir, qrEnv())
    stripe.deliverTo({ url: `${billing.baseUrl}/api/webhooks/stripe`, secret: E2E_STRIPE.secret })
    await waitReady(priced.baseUrl, priced.server)
    await waitReady(billing.baseUrl, billing.server)
    await waitReady(qr.baseUrl, qr.server)
    warroom = await startServer(warroomDir, warroomServices.env)
    await waitReady(warroom.baseUrl, warroom.server)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    })
    const runs = [
      ...[
        ...scenarios,
        ...usageScenarios,
        ...plansScenarios,
        ...emailScenarios,
        ...flowsScenarios,
        ...knowledgeScenarios,
        // Alerts (issue 17 §4).
        ...alertsScenarios,
        // Layout at three sizes and toasts (issue 18 §2, §3).
        ...polishScenarios,
        // Agent avatars (issue 18 §1).
        ...avatarsScenarios,
      ].map((s) => ({
        s,
        baseUrl,
      })),
      ...[
        ...pricedScenarios,
        ...operatorScenarios,
        ...plansOperatorScenarios,
        ...outboxScenarios,
        ...inboxScenarios(whatsapp.fake),
        ...knowledgePricedScenarios,
      ].map((s) => ({ s, baseUrl: priced!.baseUrl })),
      ...checkoutScenarios.map((s) => ({ s, baseUrl: billing!.baseUrl })),
      ...qrScenarios({ standinDir, restart: restartQr }).map((s) => ({ s, baseUrl: qr!.baseUrl })),
      ...crmScenarios(whatsapp.fake).map((s) => ({ s, baseUrl: qr!.baseUrl })),
      ...warroomScenarios.map((s) => ({ s, baseUrl: warroom!.baseUrl })),
      ...connectorsScenarios(google.fake).map((s) => ({ s, baseUrl: qr!.baseUrl })),
      // status: the scenario starts its own server (PostgreSQL) and ignores this base URL
      ...statusScenarios({ startServer, waitReady }).map((s) => ({ s, baseUrl })),
    ]
    // E2E_ONLY=<regex> runs the matching scenarios only (while working on one).
    const only = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY, 'i') : undefined
    for (const { s: scenario, baseUrl: url } of runs.filter((r) => !only || only.test(r.s.name))) {
      const started = Date.now()
      try {
        const emailLink = url === baseUrl ? linkOverSmtp(smtp) : linkFromOutbox(url)
        await scenario.run({
          browser,
          baseUrl: url,
          shot: (name) => join(SHOTS, `${name}.png`),
          internalToken: E2E_INTERNAL_TOKEN,
          emailLink,
        })
        passed++
        console.log(`  ✓ ${scenario.name} (${Date.now() - started} ms)`)
      } catch (err) {
        failed++
        const why = err instanceof Error ? (err.stack ?? err.message) : String(err)
        failures.push(
          `  ✗ ${scenario.name} (after ${Date.now() - started} ms)\n    ${why.split('\n').slice(0, 12).join('\n    ')}`,
        )
        console.log(`  ✗ ${scenario.name}\n    ${why}`)
      }
    }
  } catch (err) {
    failed++
    failures.push(`  ✗ setup: ${err instanceof Error ? err.message : String(err)}`)
    console.log(failures.at(-1))
  } finally {
    await browser?.close()
    for (const s of [server, priced?.server, billing?.server, qr?.server, warroom?.server]) {
      if (!s) continue
      s.kill('SIGTERM')
      await new Promise((r) => s.once('exit', r).once('error', r))
    }
    await fake.close()
    await stripe.close()
    await whatsapp.fake.close()
    await google.fake.close()
    await smtp.close()
    rmSync(dataDir, { recursive: true, force: true })
    rmSync(pricedDir, { recursive: true, force: true })
    rmSync(billingDir, { recursive: true, force: true })
    rmSync(qrDir, { recursive: true, force: true })
    rmSync(standinDir, { recursive: true, force: true })
    await warroomServices.close()
    rmSync(warroomDir, { recursive: true, force: true })
  }
  console.log(`screenshots: ${SHOTS}`)
  if (failures.length) console.log(`failed scenarios:\n${failures.join('\n')}`)
  console.log(`e2e: ${passed} passed, ${failed} failed`)
  process.exit(failed ? 1 : 0)
}

await main()
