import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImportDto } from '../../contracts/crm.ts'
import type { FlowDto } from '../../contracts/flows.ts'
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../fakes/openai-upstream.ts'
import { edge, node } from '../flow-graph.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

/**
 * Lead import from web pages (issue 14 §8, second half): pages fetched by the import's job through the egress guard
 * (a loopback site, opened by EGRESS_ALLOW_PRIVATE as an operator would), never in the request and never twice; leads
 * read from JSON-LD, microdata and tel:/mailto: links first, by the model only for a page without them (metered as
 * surface `crm`; the offline model's rule pass is `demo`); each lead through the CSV rows' pipeline (checked,
 * de-duplicated, contact + deal + `crm.lead-imported`); per-page errors as the page's result.
 */
const LD_PAGE = `<!doctype html><html><head><title>Party Co</title>
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
 {"@type":"LocalBusiness","name":"Party Co SRL","telephone":"+40 721 100 200","email":"hello@partyco.example",
  "address":{"@type":"PostalAddress","streetAddress":"Str. Lunga 1"}},
 {"@type":"Person","name":"Ana Pop","email":"mailto:ANA@partyco.example","worksFor":{"@type":"Organization","name":"Party Co SRL"}}
]}</script>
<script type="application/ld+json">{ broken json</script>
</head><body><h1>Party Co</h1><a href="tel:+40721100200">Call us</a></body></html>`

const MICRO_PAGE = `<html><head><title>Team</title></head><body>
<div itemscope itemtype="https://schema.org/Person">
  <span itemprop="name">Dan &amp; Co Ionescu</span>
  <a itemprop="telephone" href="tel:+40722300400">+40 722 300 400</a>
  <span itemprop="email">dan@micro.example</span>
  <div itemprop="worksFor" itemscope itemtype="https://schema.org/Organization"><span itemprop="name">Micro SRL</span></div>
</div></body></html>`

const LINKS_PAGE = `<html><head><meta property="og:site_name" content="Linky Events"><title>Contact – Linky</title></head>
<body><p>Write to us</p><a href="mailto:office@linky.example?subject=Hi">email</a>
<a href="tel:0723%20500%20600">0723 500 600</a><a href="tel:+40724000111">second line</a></body></html>`

const TEXT_PAGE = `<html><head><title>Maria Events</title><style>.x{}</style></head><body>
<p>Organising parties since 2010. Call Maria on 0721 000 333 or write to maria@text.example.</p>
<script>var phone = "+40 799 999 999"</script></body></html>`

type Site = { url: string; hits: Map<string, number>; close(): Promise<void> }
const startSite = async (): Promise<Site> => {
  const hits = new Map<string, number>()
  const server: Server = createServer((req, res) => {
    hits.set(req.url ?? '/', (hits.get(req.url ?? '/') ?? 0) + 1)
    const path = (req.url ?? '/').split('?')[0]
    const html = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(body)
    }
    if (path === '/ld') return html(LD_PAGE)
    if (path === '/micro') return html(MICRO_PAGE)
    if (path === '/links') return html(LINKS_PAGE)
    if (path === '/text') return html(TEXT_PAGE)
    if (path === '/moved') {
      res.writeHead(302, { location: '/micro' })
      return res.end()
    }
    if (path === '/pdf') {
      res.writeHead(200, { 'content-type': 'application/pdf' })
      return res.end('%PDF-1.4')
    }
    if (path === '/big') {
      res.writeHead(200, { 'content-type': 'text/html' })
      return res.end(`<html><body>${'x'.repeat(3 * 1024 * 1024)}</body></html>`)
    }
    res.writeHead(404, { 'content-type': 'text/html' })
    res.end('<h1>Not found</h1>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

type World = { ctx: TestContext; w: Awaited<ReturnType<typeof onboard>> }
const as = (world: World, key?: string): Caller => ({
  cookie: world.w.user.cookie,
  headers: { 'x-client-id': world.w.clientId, ...(key ? { 'idempotency-key': key } : {}) },
})
const setUp = async (env: Record<string, string>, label: string): Promise<World> => {
  const ctx = await createTestContext({ EGRESS_ALLOW_PRIVATE: '127.0.0.0/8', ...env })
  const w = await onboard(ctx.app, label)
  const world = { ctx, w }
  const country = await call(ctx.app, 'PUT', '/api/crm/settings', as(world), { defaultCountry: 'RO' })
  expect(country.statusCode, country.body).toBe(200)
  return world
}
const runJob = (world: World, importId: string) =>
  world.ctx.container.jobs.find((j) => j.name === 'crm.run-import')!.handler({ importId })
const getImport = async (world: World, id: string) => {
  const res = await call(world.ctx.app, 'GET', `/api/crm/imports/${id}`, as(world))
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as ImportDto
}
const rowsOf = async (world: World, id: string, status?: string) => {
  const res = await call(
    world.ctx.app,
    'GET',
    `/api/crm/imports/${id}/rows?limit=100${status ? `&status=${status}` : ''}`,
    as(world),
  )
  expect(res.statusCode, res.body).toBe(200)
  return res.json().items as ImportDto['problems']
}
const startImport = async (world: World, urls: string[], key?: string) => {
  const res = await call(world.ctx.app, 'POST', '/api/crm/imports', as(world, key), { urls, source: 'website' })
  expect(res.statusCode, res.body).toBe(202)
  return res.json() as ImportDto
}

describe('lead import from web pages on the offline model', () => {
  let world: World
  let site: Site
  beforeAll(async () => {
    site = await startSite()
    world = await setUp({}, 'crm-scrape')
  })
  afterAll(async () => {
    await world?.ctx.close()
    await site?.close()
  })

  it('fetches nothing in the request, then reads each page once in the job and imports its leads with their page', async () => {
    const created = await call(world.ctx.app, 'POST', '/api/flows', as(world), {
      name: 'Every lead',
      graph: {
        nodes: [node('t', 'crm.lead-imported', {}), node('n', 'crm.add-note', { body: 'From the web' })],
        edges: [edge('t', 'n')],
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    const flow = created.json() as FlowDto
    expect((await call(world.ctx.app, 'POST', `/api/flows/${flow.id}/publish`, as(world))).statusCode).toBe(200)

    const urls = ['/ld', '/micro', '/links', '/text', '/missing', '/pdf', '/big'].map((p) => site.url + p)
    const started = await startImport(world, [...urls, `${site.url}/ld#again`, 'http://10.1.2.3/private'])
    expect(started).toMatchObject({ kind: 'pages', status: 'running', counts: { total: 0 } })
    expect(started.pages.map((p) => p.status)).toEqual(Array(8).fill('pending'))
    expect(started.pages[7]!.url).toBe('http://10.1.2.3/private')
    expect(site.hits.size).toBe(0)

    await runJob(world, started.id!)
    const done = await getImport(world, started.id!)
    expect(done.status).toBe('completed')
    const page = (path: string) => done.pages.find((p) => p.url === site.url + path)!
    expect(page('/ld')).toEqual({
      url: `${site.url}/ld`,
      status: 'done',
      method: 'structured',
      found: 2,
      demo: false,
      error: null,
    })
    expect(page('/micro')).toMatchObject({ status: 'done', method: 'structured', found: 1 })
    expect(page('/links')).toMatchObject({ status: 'done', method: 'structured', found: 2 })
    expect(page('/text')).toMatchObject({ status: 'done', method: 'rules', found: 1, demo: true })
    expect(page('/missing')).toMatchObject({ status: 'failed', error: { code: 'http_error' } })
    expect(page('/missing').error!.message).toContain('404')
    expect(page('/pdf')).toMatchObject({ status: 'failed', error: { code: 'not_html' } })
    expect(page('/big')).toMatchObject({ status: 'failed', error: { code: 'too_large' } })
    expect(done.pages.at(-1)).toMatchObject({ status: 'failed', error: { code: 'address_not_allowed' } })
    expect(done.counts).toEqual({ total: 6, valid: 6, imported: 6, duplicates: 0, invalid: 0, pending: 0 })

    const rows = await rowsOf(world, started.id!)
    // In the order found (the rows page answers the last row first).
    const byName = (name: string) => rows.filter((r) => r.lead.name === name).sort((a, b) => a.row - b.row)
    expect(byName('Party Co SRL')[0]).toMatchObject({
      status: 'imported',
      url: `${site.url}/ld`,
      lead: { phone: '+40721100200', email: 'hello@partyco.example', company: 'Party Co SRL' },
      contactId: expect.any(String),
      dealId: expect.any(String),
    })
    expect(byName('Ana Pop')[0]).toMatchObject({ lead: { email: 'ana@partyco.example', company: 'Party Co SRL' } })
    expect(byName('Dan & Co Ionescu')[0]).toMatchObject({
      url: `${site.url}/micro`,
      lead: { phone: '+40722300400', email: 'dan@micro.example', company: 'Micro SRL' },
    })
    // The site's own first phone and email make one lead named by the site; the second line another.
    expect(byName('Linky Events').map((r) => r.lead)).toEqual([
      expect.objectContaining({ phone: '+40723500600', email: 'office@linky.example' }),
      expect.objectContaining({ phone: '+40724000111', email: null }),
    ])
    // The rule pass reads the visible text only: the number in the script is not a lead.
    expect(byName('Maria Events').map((r) => r.lead)).toEqual([
      expect.objectContaining({ phone: '+40721000333', email: 'maria@text.example' }),
    ])
    // The tel: link repeating the JSON-LD phone is not a second lead.
    expect(rows.filter((r) => r.url === `${site.url}/ld`)).toHaveLength(2)

    expect([...site.hits.entries()].sort()).toEqual(
      ['/big', '/ld', '/links', '/micro', '/missing', '/pdf', '/text'].map((p) => [p, 1]),
    )
    const runs = await world.ctx.container.db
      .selectFrom('flowRuns')
      .select('id')
      .where('flowId', '=', flow.id)
      .execute()
    expect(runs).toHaveLength(6)

    // A retried job fetches nothing again and imports nothing more.
    await runJob(world, started.id!)
    expect([...site.hits.values()].every((n) => n === 1)).toBe(true)
    expect((await getImport(world, started.id!)).counts.imported).toBe(6)
  })

  it('reports a lead already in the CRM as a duplicate of that contact', async () => {
    const known = await call(world.ctx.app, 'POST', '/api/crm/contacts', as(world), {
      name: 'Known Dan',
      phones: ['+40 722 300 401'],
    })
    expect(known.statusCode, known.body).toBe(201)
    const started = await startImport(world, [`${site.url}/micro`, `${site.url}/moved`])
    await runJob(world, started.id!)
    const done = await getImport(world, started.id!)
    // Dan was imported by the first test: both pages' lead (the second through a redirect) are duplicates of him.
    expect(done.counts).toMatchObject({ total: 2, imported: 0, duplicates: 2 })
    expect((await rowsOf(world, started.id!, 'duplicate')).map((r) => r.url).sort()).toEqual(
      [`${site.url}/micro`, `${site.url}/moved`].sort(),
    )
  })

  it('never fetches again a page a dead run had claimed: it is reported as interrupted', async () => {
    const started = await startImport(world, [`${site.url}/links?dead`, `${site.url}/ld?alive`])
    await world.ctx.container.db
      .updateTable('crmImportPages')
      .set({ status: 'fetching' })
      .where('importId', '=', started.id!)
      .where('position', '=', 0)
      .execute()
    await runJob(world, started.id!)
    const done = await getImport(world, started.id!)
    expect(done.pages.map((p) => [p.status, p.error?.code ?? null])).toEqual([
      ['failed', 'interrupted'],
      ['done', null],
    ])
    expect(site.hits.get('/links?dead')).toBeUndefined()
    expect(site.hits.get('/ld?alive')).toBe(1)
    expect(done.status).toBe('completed')
  })

  it('answers a dry run with the addresses checked, fetching and storing nothing', async () => {
    const before = site.hits.size
    const res = await call(world.ctx.app, 'POST', '/api/crm/imports', as(world), {
      urls: [`${site.url}/ld?dry`, 'http://169.254.169.254/latest/meta-data'],
      source: 'website',
      dryRun: true,
    })
    expect(res.statusCode, res.body).toBe(200)
    const dto = res.json() as ImportDto
    expect(dto).toMatchObject({ id: null, kind: 'pages', status: 'dry_run' })
    expect(dto.pages.map((p) => [p.status, p.error?.code ?? null])).toEqual([
      ['pending', null],
      ['failed', 'address_not_allowed'],
    ])
    expect(site.hits.size).toBe(before)
  })

  it('refuses an address that is not a web page, and more pages than one import takes', async () => {
    for (const url of ['ftp://example.com/x', 'not a url', 'http://user:pw@example.com/']) {
      const res = await call(world.ctx.app, 'POST', '/api/crm/imports', as(world), { urls: [url], source: 'x' })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().error.code).toBe('crm.import_bad_url')
    }
    const many = Array.from({ length: 21 }, (_, i) => `https://example.com/${i}`)
    const res = await call(world.ctx.app, 'POST', '/api/crm/imports', as(world), { urls: many, source: 'x' })
    expect(res.statusCode).toBe(400)
  })

  it('answers the first import to the same Idempotency-Key and lists the client’s imports', async () => {
    const first = await startImport(world, [`${site.url}/ld?key`], 'pages-1')
    const again = await startImport(world, [`${site.url}/ld?key`], 'pages-1')
    expect(again.id).toBe(first.id)
    const other = await call(world.ctx.app, 'POST', '/api/crm/imports', as(world, 'pages-1'), {
      urls: [`${site.url}/micro?key`],
      source: 'website',
    })
    expect(other.statusCode).toBe(409)
    const list = await call(world.ctx.app, 'GET', '/api/crm/imports?limit=2', as(world))
    expect(list.statusCode, list.body).toBe(200)
    expect(list.json().items[0]).toMatchObject({ id: first.id, kind: 'pages' })
    expect(list.json().nextCursor).toEqual(expect.any(String))
  })
})

describe('lead import from web pages on a real model', () => {
  let world: World
  let site: Site
  let fake: FakeOpenAI
  let answer = ''
  const script: FakeOpenAIOptions = { usage: { prompt_tokens: 500, completion_tokens: 80 }, reply: () => answer }
  beforeAll(async () => {
    site = await startSite()
    fake = await startFakeOpenAI(script)
    world = await setUp({ OPENAI_API_KEY: 'sk-scrape', OPENAI_BASE_URL: fake.url }, 'crm-scrape-model')
  })
  afterAll(async () => {
    await world?.ctx.close()
    await fake?.close()
    await site?.close()
  })

  it('asks the model only for a page without structured contacts, keeps what the page says, and charges it', async () => {
    answer = JSON.stringify({
      leads: [
        { name: 'Maria', phone: '0721 000 333', email: 'maria@text.example', company: null },
        { name: 'Invented', phone: '+40 755 123 456', email: 'ghost@nowhere.example', company: null },
      ],
    })
    const started = await startImport(world, [`${site.url}/ld`, `${site.url}/text`])
    await runJob(world, started.id!)
    const done = await getImport(world, started.id!)
    expect(done.pages.map((p) => [p.method, p.found, p.demo])).toEqual([
      ['structured', 2, false],
      ['ai', 1, false],
    ])
    expect(fake.completions()).toHaveLength(1)
    expect(JSON.stringify(fake.completions()[0]!.body)).toContain('Call Maria on 0721 000 333')
    expect(JSON.stringify(fake.completions()[0]!.body)).not.toContain('799 999 999')
    const rows = await rowsOf(world, started.id!)
    expect(rows.find((r) => r.url === `${site.url}/text`)!.lead).toMatchObject({
      name: 'Maria',
      phone: '+40721000333',
      email: 'maria@text.example',
    })
    const ledger = await call(world.ctx.app, 'GET', `/api/credits/ledger?requestId=scrape:${started.id}:1`, {
      cookie: world.w.user.cookie,
      workspaceId: world.w.workspaceId,
    })
    expect(ledger.json().items).toEqual([expect.objectContaining({ kind: 'debit', surface: 'crm' })])
  })

  it('records a page whose model answer is not the list asked for as failed, charged once', async () => {
    answer = 'I cannot help with that.'
    const started = await startImport(world, [`${site.url}/text?again`])
    await runJob(world, started.id!)
    const done = await getImport(world, started.id!)
    expect(done.pages[0]).toMatchObject({ status: 'failed', error: { code: 'ai_failed' } })
    expect(done.status).toBe('completed')
    const calls = fake.completions().length
    await runJob(world, started.id!)
    expect(fake.completions()).toHaveLength(calls)
  })
})
