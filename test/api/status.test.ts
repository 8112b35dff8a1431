import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { z } from 'zod'
import { defineJob } from '../../src/platform/queue/queue.ts'
import { call, createTestContext, onboard, TEST_INTERNAL_TOKEN, type TestContext } from '../harness.ts'

/**
 * The public status page (issue 17 §6): live checks of each component (never a 500, never tenant data) and the
 * incidents the operator posts and updates (audited, updates append-only).
 */
let ctx: TestContext
const op = { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } }
type Status = {
  status: string
  components: { key: string; state: string; message: string }[]
  incidents: { id: string; title: string; status: string; resolvedAt: string | null; updates: { status: string }[] }[]
}
const status = async (app = ctx.app) => {
  const res = await call(app, 'GET', '/api/status')
  expect(res.statusCode).toBe(200)
  return res.json() as Status
}
const component = async (key: string) => (await status()).components.find((c) => c.key === key)!

beforeAll(async () => {
  // Stripe on (nothing calls it here); every read computed afresh.
  ctx = await createTestContext({ STATUS_CACHE_SECONDS: '0', STRIPE_SECRET_KEY: 'sk_test_status' })
})
afterAll(async () => {
  await ctx.close()
})

describe('GET /api/status', () => {
  it('is public and lists every component with a state and a message', async () => {
    const res = await call(ctx.app, 'GET', '/api/status', { origin: null })
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const body = res.json() as Status
    expect(body.components.map((c) => c.key)).toEqual(['api', 'workers', 'database', 'queue', 'whatsapp', 'stripe'])
    expect(body.components.find((c) => c.key === 'api')!.state).toBe('operational')
    expect(body.components.find((c) => c.key === 'database')!.state).toBe('operational')
  })

  it('shows workers down until a process working jobs beats, then operational', async () => {
    expect((await component('workers')).state).toBe('down')
    await ctx.container.ops.heartbeat.beat()
    expect(await component('workers')).toMatchObject({ state: 'operational' })
    expect((await status()).status).toBe('operational')
    await ctx.container.ops.heartbeat.stop()
    expect((await component('workers')).state).toBe('down')
    expect((await status()).status).toBe('down')
  })

  it('shows the queue degraded past 15 minutes of waiting and down past an hour', async () => {
    const job = defineJob({ name: 'status-test.wait', payload: z.object({}), handler: async () => undefined })
    await ctx.container.queue.register([job])
    await ctx.container.queue.enqueue(ctx.container.db, job, {})
    expect((await component('queue')).state).toBe('operational')
    const age = (minutes: number) =>
      sql`update pgboss.job set start_after = now() - make_interval(mins => ${minutes})
          where name = 'status-test.wait'`.execute(ctx.container.db)
    await age(20)
    expect(await component('queue')).toMatchObject({ state: 'degraded', message: expect.stringMatching(/20 minutes/) })
    await age(90)
    expect((await component('queue')).state).toBe('down')
    await sql`delete from pgboss.job where name = 'status-test.wait'`.execute(ctx.container.db)
    expect((await component('queue')).state).toBe('operational')
  })

  it('counts WhatsApp numbers in aggregate: none, all connected, one of two (a QR number nobody drives)', async () => {
    expect((await component('whatsapp')).state).toBe('not_configured')
    const a = await onboard(ctx.app, 'status-wa')
    const number = (id: string, kind: string, status: string) =>
      sql`insert into channels (id, workspace_id, client_id, name, kind, status, created_by, cloud_phone_number_id,
          cloud_token) values (${id}, ${a.workspaceId}, ${a.clientId}, 'Front desk', ${kind}, ${status}, ${a.user.id},
          ${kind === 'cloud' ? '1234567890' : null}, ${kind === 'cloud' ? 'sealed' : null})`.execute(ctx.container.db)
    await number('ch_statuscloud0000001', 'cloud', 'connected')
    // Numbers a person must act on are not counted.
    await number('ch_statuslogout000001', 'qr', 'logged_out')
    expect(await component('whatsapp')).toMatchObject({ state: 'operational', message: '1 of 1 numbers connected.' })
    await number('ch_statusqr0000000001', 'qr', 'connected')
    const wa = await component('whatsapp')
    expect(wa).toMatchObject({ state: 'degraded', message: '1 of 2 numbers connected.' })
    expect(JSON.stringify(await status())).not.toContain(a.workspaceId)
    expect(await ctx.container.channels.health()).toEqual({ expected: 2, connected: 1 })
  })

  it('shows Stripe degraded when an event of the last hour went dead or one waits past its grace', async () => {
    expect((await component('stripe')).state).toBe('operational')
    const event = (id: string, status: string, minutesAgo: number) =>
      sql`insert into stripe_events (id, type, payload, status, received_at)
          values (${id}, 'invoice.paid', '{}', ${status}, now() - make_interval(mins => ${minutesAgo}))`.execute(
        ctx.container.db,
      )
    await event('evt_status_old_dead', 'dead', 180)
    await event('evt_status_fresh', 'pending', 1)
    expect((await component('stripe')).state).toBe('operational')
    await event('evt_status_late', 'pending', 10)
    expect(await ctx.container.subscriptions.eventsHealth()).toEqual({ stalePending: 1, dead: 0 })
    expect((await component('stripe')).state).toBe('degraded')
    await sql`update stripe_events set status = 'processed' where id = 'evt_status_late'`.execute(ctx.container.db)
    await event('evt_status_dead', 'dead', 5)
    expect(await component('stripe')).toMatchObject({ state: 'degraded', message: expect.stringMatching(/could not/) })
  })

  it('says Stripe is not configured on a server without it, and answers 200 with the database down', async () => {
    const broken = await createTestContext({ STATUS_CACHE_SECONDS: '0' })
    try {
      const ok = await status(broken.app)
      expect(ok.components.find((c) => c.key === 'stripe')!.state).toBe('not_configured')
      await broken.container.database.close()
      const res = await call(broken.app, 'GET', '/api/status')
      expect(res.statusCode).toBe(200)
      const body = res.json() as Status
      expect(body.status).toBe('down')
      expect(body.components.find((c) => c.key === 'database')).toMatchObject({
        state: 'down',
        message: 'Not responding.',
      })
      expect(body.components.find((c) => c.key === 'api')!.state).toBe('operational')
      expect(body.incidents).toEqual([])
    } finally {
      await broken.close()
    }
  })
})

describe('incidents', () => {
  const post = (body: unknown, caller: Parameters<typeof call>[3] = op) =>
    call(ctx.app, 'POST', '/api/operator/incidents', caller, body)
  const update = (id: string, body: unknown, caller: Parameters<typeof call>[3] = op) =>
    call(ctx.app, 'POST', `/api/operator/incidents/${id}/updates`, caller, body)

  it('only the operator posts and updates incidents', async () => {
    const user = await onboard(ctx.app, 'status-user')
    const body = { title: 'Slow answers', message: 'We are looking into it.' }
    expect((await post(body, {})).statusCode).toBe(401)
    expect((await post(body, { cookie: user.user.cookie })).statusCode).toBe(401)
    expect((await post({ title: 'x', message: 'y' })).statusCode).toBe(400)
    expect((await update('sinc_doesnotexist0000', { status: 'resolved', message: 'Fixed.' })).statusCode).toBe(404)
  })

  it('an incident goes from investigating to resolved, shown with its timeline, audited, then closed to updates', async () => {
    const created = await post({ title: 'Delayed WhatsApp replies', impact: 'major', message: 'Replies are late.' })
    expect(created.statusCode).toBe(201)
    const id = created.json().id as string
    expect(created.json()).toMatchObject({ status: 'investigating', impact: 'major', resolvedAt: null })

    let shown = (await status()).incidents.find((i) => i.id === id)!
    expect(shown.updates.map((u) => u.status)).toEqual(['investigating'])

    expect((await update(id, { status: 'identified', message: 'A provider is slow.' })).statusCode).toBe(201)
    const resolved = await update(id, { status: 'resolved', message: 'Replies are on time again.' })
    expect(resolved.statusCode).toBe(201)
    expect(resolved.json().resolvedAt).toEqual(expect.any(String))

    shown = (await status()).incidents.find((i) => i.id === id)!
    expect(shown.status).toBe('resolved')
    expect(shown.updates.map((u) => u.status)).toEqual(['resolved', 'identified', 'investigating'])

    const again = await update(id, { status: 'monitoring', message: 'Watching.' })
    expect(again.statusCode).toBe(409)
    expect(again.json().error.code).toBe('ops.incident_resolved')

    const audit = await ctx.container.db
      .selectFrom('auditEvents')
      .select('action')
      .where('targetId', '=', id)
      .orderBy('createdAt')
      .execute()
    expect(audit.map((a) => a.action)).toEqual(['incident.posted', 'incident.updated', 'incident.updated'])
  })

  it('keeps updates append-only and hides incidents resolved more than 7 days ago', async () => {
    const id = (await post({ title: 'Old outage', status: 'resolved', message: 'It was fixed.' })).json().id as string
    expect((await status()).incidents.some((i) => i.id === id)).toBe(true)
    await expect(
      sql`update status_incident_updates set message = 'rewritten' where incident_id = ${id}`.execute(ctx.container.db),
    ).rejects.toThrow(/append-only/)
    await sql`update status_incidents set resolved_at = now() - interval '8 days' where id = ${id}`.execute(
      ctx.container.db,
    )
    expect((await status()).incidents.some((i) => i.id === id)).toBe(false)
  })
})
