import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createTestContext, onboard, type TestContext } from '../harness.ts'

const INTERNAL_TOKEN = 'operator-token-0123456789-abcdefgh'
let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext({ INTERNAL_TOKEN })
})
afterAll(async () => {
  await ctx.close()
})

describe('health and metrics', () => {
  it('/healthz answers 200 while the process is up', async () => {
    expect((await call(ctx.app, 'GET', '/healthz')).json()).toEqual({ status: 'ok' })
  })

  it('/readyz checks the database, the migrations, the queue and the WhatsApp session store', async () => {
    const res = await call(ctx.app, 'GET', '/readyz')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      status: 'ready',
      checks: { database: true, migrations: true, queue: true, sessionStore: true },
    })
  })

  it('/readyz answers 503 when the database is gone', async () => {
    const broken = await createTestContext()
    try {
      await broken.container.database.close()
      const res = await call(broken.app, 'GET', '/readyz')
      expect(res.statusCode).toBe(503)
      expect(res.json().checks.database).toBe(false)
    } finally {
      await broken.close()
    }
  })

  it('/metrics needs the operator token and reports request durations by route and status and queue depth', async () => {
    await onboard(ctx.app, 'metrics')
    expect((await call(ctx.app, 'GET', '/metrics')).statusCode).toBe(401)
    const res = await call(ctx.app, 'GET', '/metrics', { headers: { 'x-internal-token': INTERNAL_TOKEN } })
    expect(res.statusCode).toBe(200)
    expect(res.body).toMatch(
      /camarad_http_request_duration_seconds_count\{method="POST",route="\/api\/auth\/onboarding",status="201"\} 1/,
    )
    expect(res.body).toMatch(/camarad_queue_jobs\{queue="tenancy.expire-invitation",state="queued"\}/)
    expect(res.body).toContain('camarad_process_cpu_seconds_total')
    const bearer = await call(ctx.app, 'GET', '/metrics', { headers: { authorization: `Bearer ${INTERNAL_TOKEN}` } })
    expect(bearer.statusCode).toBe(200)
  })
})

describe('API description', () => {
  it('documents every route with response schemas, and a request schema wherever a body is accepted', async () => {
    const doc = (await call(ctx.app, 'GET', '/api/openapi.json')).json() as {
      openapi: string
      paths: Record<
        string,
        Record<
          string,
          { responses?: Record<string, { content?: unknown; description?: string }>; requestBody?: unknown }
        >
      >
    }
    expect(doc.openapi).toMatch(/^3\./)
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
    )
    expect(operations.length).toBeGreaterThan(20)
    for (const { key, op } of operations) {
      const success = Object.entries(op.responses ?? {}).find(([status]) => /^[23]/.test(status))
      expect(success, `${key} has no success response`).toBeDefined()
      // Actions that take no body (a body sent to them is refused with 400 by the platform) are named by their verb.
      if (
        /^(POST|PATCH|PUT) /.test(key) &&
        !/logout|disconnect|archive|accept|cancel|start|publish|pause|resume|restore|rotate|instantiate|regenerate-qr|backfill|\/read$|\/ack$/.test(
          key,
        )
      )
        expect(op.requestBody, `${key} has no request body schema`).toBeDefined()
      expect(
        Object.keys(op.responses ?? {}).some((s) => s.startsWith('4')) || key.startsWith('GET /api/auth/status'),
        `${key} lists no error response`,
      ).toBe(true)
    }
  })

  it('serves the docs UI at /api/docs', async () => {
    const res = await call(ctx.app, 'GET', '/api/docs/')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/html')
  })

  it('answers an unknown API route with the JSON error shape', async () => {
    const res = await call(ctx.app, 'GET', '/api/nope')
    expect(res.statusCode).toBe(404)
    expect(res.json().error.code).toBe('route.not_found')
  })
})

describe('secrets in responses', () => {
  it('no response schema has a field for a password, a hash, a sealed secret or a provider key', async () => {
    const doc = (await call(ctx.app, 'GET', '/api/openapi.json')).json() as {
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>
      components?: unknown
    }
    const names = new Set<string>()
    const walk = (node: unknown) => {
      if (!node || typeof node !== 'object') return
      const props = (node as { properties?: Record<string, unknown> }).properties
      if (props) for (const k of Object.keys(props)) names.add(k)
      for (const v of Object.values(node)) walk(v)
    }
    // Secrets shown once, by the call that makes them (as a new token): a flow's webhook URL secret and signing key on
    // rotation, an alert webhook's signing secret when it is set.
    const SHOWN_ONCE = new Set(['POST /api/flows/{id}/webhook/rotate', 'PUT /api/workspaces/{id}/alerts/webhook'])
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops))
        if (!SHOWN_ONCE.has(`${method.toUpperCase()} ${path}`)) walk(op.responses)
    walk(doc.components)
    const forbidden = [...names].filter(
      (n) => !/^(has|is)[A-Z]/.test(n) && /password|hash|sealed|secret|apikey|api_key/i.test(n),
    )
    expect(forbidden).toEqual([])
    // The one secret a response may carry: a new API token, shown once at creation.
    expect(names.has('token')).toBe(true)
  })
})
