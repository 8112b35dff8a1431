/**
 * `npm run smoke -- <url>`: checks a running Camarad from outside, as a deploy pipeline or an operator would right
 * after a release. Only public requests, nothing written:
 *   - the public pages (landing, pricing, and each legal page the installation publishes) answer HTML, and the APIs
 *     behind them (`/api/plans`, `/api/legal?doc=…`) answer;
 *   - `/healthz` and `/readyz`;
 *   - Google's connector callback (`/api/connectors/google/callback`) without or with a forged state answers a
 *     readable HTML page with `Cache-Control: no-store` — never a 404 (the URL must be registered at Google) nor a 5xx;
 *   - the search guard: the landing page's `/api/search` answers built-in agents and templates only and refuses a
 *     client parameter; the in-app `/api/app/search` (a client's conversations) refuses a caller without a session.
 * Prints each check and `smoke: X/Y checks passed`; exits 1 when one failed (2 on bad arguments).
 */
const USAGE = 'usage: npm run smoke -- <url>   (e.g. https://camarad.example.com)'
const arg = process.argv.slice(2).find((a) => !a.startsWith('--'))
let base: URL
try {
  base = new URL(arg ?? '')
  if (!/^https?:$/.test(base.protocol)) throw new Error('not http(s)')
} catch {
  console.error(USAGE)
  process.exit(2)
}
const TIMEOUT_MS = 15_000

type Answer = { status: number; headers: Headers; text: string }
const get = async (path: string, headers: Record<string, string> = {}): Promise<Answer> => {
  const res = await fetch(new URL(path, base), {
    redirect: 'manual',
    headers: { accept: 'text/html,application/json;q=0.9', ...headers },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  })
  return { status: res.status, headers: res.headers, text: await res.text() }
}
const json = (a: Answer) => {
  try {
    return JSON.parse(a.text) as unknown
  } catch {
    return undefined
  }
}
const codeOf = (a: Answer) => (json(a) as { error?: { code?: string } } | undefined)?.error?.code

class Failed extends Error {}
const expect = (ok: unknown, why: string) => {
  if (!ok) throw new Failed(why)
}
const isHtml = (a: Answer) => (a.headers.get('content-type') ?? '').includes('text/html') && /<html/i.test(a.text)

let passed = 0
let total = 0
const check = async (name: string, run: () => Promise<string | void>) => {
  total++
  try {
    const note = await run()
    passed++
    console.log(`✓ ${name}${note ? ` (${note})` : ''}`)
  } catch (err) {
    console.log(`✗ ${name} — ${err instanceof Failed ? err.message : `request failed: ${(err as Error).message}`}`)
  }
}

console.log(`smoke: ${base.origin}`)

await check('GET /healthz answers 200', async () => {
  const a = await get('/healthz')
  expect(a.status === 200, `status ${a.status}`)
})
await check('GET /readyz answers 200 (database, migrations, queue)', async () => {
  const a = await get('/readyz')
  expect(a.status === 200, `status ${a.status}: ${a.text.slice(0, 200)}`)
})

await check('the landing page (/) answers HTML', async () => {
  const a = await get('/')
  expect(a.status === 200 && isHtml(a), `status ${a.status}, ${a.headers.get('content-type')}`)
})
await check('the pricing page (/pricing) answers HTML, and /api/plans its plans', async () => {
  const page = await get('/pricing')
  expect(page.status === 200 && isHtml(page), `page: status ${page.status}, ${page.headers.get('content-type')}`)
  const plans = await get('/api/plans', { accept: 'application/json' })
  const list = (json(plans) as { plans?: unknown[] } | undefined)?.plans
  expect(plans.status === 200 && Array.isArray(list) && list.length > 0, `/api/plans: status ${plans.status}`)
  return `${list!.length} plans`
})
for (const doc of ['terms', 'privacy', 'legal']) {
  await check(`the legal page /${doc} answers HTML, and its document`, async () => {
    const api = await get(`/api/legal?doc=${doc}`, { accept: 'application/json' })
    // An installation may not publish every document: absent (404 legal.not_found) is reported, not failed.
    if (api.status === 404 && codeOf(api) === 'legal.not_found') return 'not published here'
    const title = (json(api) as { title?: string } | undefined)?.title
    expect(api.status === 200 && title, `/api/legal?doc=${doc}: status ${api.status}`)
    const page = await get(`/${doc}`)
    expect(page.status === 200 && isHtml(page), `page: status ${page.status}, ${page.headers.get('content-type')}`)
    return title
  })
}

const CALLBACK = '/api/connectors/google/callback'
for (const [label, query] of [
  ['without a state', ''],
  ['with a forged state', '?state=smoke-forged&code=4%2Fsmoke'],
] as const) {
  await check(`Google's callback ${label} answers a readable no-store page`, async () => {
    const a = await get(`${CALLBACK}${query}`)
    expect(a.status !== 404, 'status 404: the callback route is missing (Google would land on a dead page)')
    expect(a.status < 500, `status ${a.status}`)
    expect(
      /\bno-store\b/.test(a.headers.get('cache-control') ?? ''),
      `Cache-Control: ${a.headers.get('cache-control')}`,
    )
    expect(isHtml(a) && /<h1>[^<]+<\/h1>/.test(a.text), `not a readable page (${a.headers.get('content-type')})`)
    return `${a.status} ${/<code>([^<]+)<\/code>/.exec(a.text)?.[1] ?? ''}`.trim()
  })
}

await check('the public search answers built-in agents and templates only', async () => {
  const a = await get('/api/search?q=campaign', { accept: 'application/json' })
  const items = (json(a) as { items?: { type: string; id: string }[] } | undefined)?.items
  expect(a.status === 200 && Array.isArray(items), `status ${a.status}`)
  const foreign = items!.filter((h) => !['agent', 'template'].includes(h.type) || !h.id.startsWith('builtin.'))
  expect(foreign.length === 0, `not built-in: ${JSON.stringify(foreign.slice(0, 3))}`)
  return `${items!.length} hits`
})
await check('the public search refuses a client parameter (400)', async () => {
  const a = await get('/api/search?q=campaign&clientId=cl_smoke', { accept: 'application/json' })
  expect(a.status === 400, `status ${a.status}`)
})
await check('the in-app search refuses a caller without a session (401)', async () => {
  const a = await get('/api/app/search?q=invoice', { accept: 'application/json', 'x-client-id': 'cl_smoke' })
  expect(a.status === 401, `status ${a.status}: ${a.text.slice(0, 200)}`)
  expect(!/"items"/.test(a.text), 'it answered items')
})

console.log(`smoke: ${passed}/${total} checks passed`)
process.exitCode = passed === total ? 0 : 1
