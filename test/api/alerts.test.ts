import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createParser } from 'eventsource-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AlertDto, AlertPage } from '../../contracts/alerts.ts'
import { addMember, call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'
import { edge, node } from '../flow-graph.ts'

/** A loopback webhook receiver: records each request and answers the statuses a test queues (else 200). */
const receiverServer = async () => {
  const calls: { headers: IncomingMessage['headers']; body: string }[] = []
  const script: number[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      calls.push({ headers: req.headers, body })
      res.writeHead(script.shift() ?? 200, { 'content-type': 'application/json' })
      res.end('{}')
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/camarad`,
    calls,
    script,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  }
}

/** Reads a live stream's events as they come (eventsource-parser, as a browser's EventSource). */
const follow = async (url: string, caller: { cookie: string }) => {
  const aborter = new AbortController()
  const res = await fetch(url, { signal: aborter.signal, headers: { cookie: caller.cookie } })
  const events: { event: string; data: Record<string, unknown> }[] = []
  const parser = createParser({
    onEvent: (e) => events.push({ event: e.event ?? 'message', data: JSON.parse(e.data) as Record<string, unknown> }),
  })
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  return {
    res,
    events,
    async until(done: () => boolean) {
      while (!done()) {
        const { value, done: end } = await reader.read()
        if (end) throw new Error('the stream ended')
        parser.feed(decoder.decode(value, { stream: true }))
      }
    },
    close: () => aborter.abort(),
  }
}

describe('live alerts to people', () => {
  let ctx: TestContext
  let a: Awaited<ReturnType<typeof onboard>>
  let b: Awaited<ReturnType<typeof onboard>>
  let adminA: Awaited<ReturnType<typeof addMember>>
  let memberB: Awaited<ReturnType<typeof addMember>>
  let receiver: Awaited<ReturnType<typeof receiverServer>>
  const as = (u: { cookie: string }): Caller => ({ cookie: u.cookie })
  const list = async (workspaceId: string, who: { cookie: string }, query = '') => {
    const res = await call(ctx.app, 'GET', `/api/workspaces/${workspaceId}/alerts${query}`, as(who))
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as AlertPage
  }
  const settle = async () => {
    await ctx.container.flows.engine.drain()
    await ctx.container.alerts.drain()
  }
  const createClient = (w: typeof a, name: string) =>
    call(ctx.app, 'POST', '/api/clients', { cookie: w.user.cookie, workspaceId: w.workspaceId }, { name })

  beforeAll(async () => {
    // The real catalog: Free allows 2 clients, 2 members and 1 flow.
    ctx = await createTestContext({ PLANS_FILE: 'config/plans.json', EGRESS_ALLOW_PRIVATE: '127.0.0.0/8' })
    a = await onboard(ctx.app, 'alerts-a')
    b = await onboard(ctx.app, 'alerts-b')
    adminA = await addMember(ctx.app, a.user, a.workspaceId, 'admin', 'alerts-admin')
    memberB = await addMember(ctx.app, b.user, b.workspaceId, 'member', 'alerts-member')
    receiver = await receiverServer()
  })
  afterAll(async () => {
    await receiver?.close()
    await ctx?.close()
  })

  it('raises one plan-limit alert for a burst of creates the plan refuses', async () => {
    expect((await createClient(a, 'Second')).statusCode).toBe(201)
    const refused = await Promise.all(Array.from({ length: 6 }, (_, i) => createClient(a, `Over ${i}`)))
    expect(refused.map((r) => r.statusCode)).toEqual(Array(6).fill(402))
    await settle()

    const page = await list(a.workspaceId, a.user)
    expect(page.items.filter((x) => x.kind === 'plan_limit')).toMatchObject([
      {
        workspaceId: a.workspaceId,
        severity: 'warning',
        title: 'Plan limit reached',
        link: '/app/settings/billing',
        data: { limit: 'clients', max: 2, plan: 'free' },
        acknowledgedAt: null,
      },
    ])
    expect(page.unacknowledged).toBe(1)
    // Nothing of it in the other workspace.
    expect((await list(b.workspaceId, b.user)).items).toEqual([])
  })

  it("streams a new alert to the workspace's admins, never to another workspace's", async () => {
    const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
    const mine = await follow(`${address}/api/workspaces/${a.workspaceId}/alerts/stream`, adminA)
    const theirs = await follow(`${address}/api/workspaces/${b.workspaceId}/alerts/stream`, b.user)
    try {
      expect(mine.res.status).toBe(200)
      expect(mine.res.headers.get('content-type')).toMatch(/^text\/event-stream/)
      await mine.until(() => mine.events.some((e) => e.event === 'ready'))
      await theirs.until(() => theirs.events.some((e) => e.event === 'ready'))

      // A's flow limit (1) refused, then B's: each stream hears its own workspace's alert only.
      const flow = { name: 'F', graph: { nodes: [node('start', 'core.manual')], edges: [] } }
      const flowAs = (w: typeof a) => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
      expect((await call(ctx.app, 'POST', '/api/flows', flowAs(a), flow)).statusCode).toBe(201)
      expect((await call(ctx.app, 'POST', '/api/flows', flowAs(a), flow)).statusCode).toBe(402)
      await settle()
      await mine.until(() => mine.events.some((e) => e.event === 'alert'))
      expect(mine.events.find((e) => e.event === 'alert')!.data).toMatchObject({
        workspaceId: a.workspaceId,
        kind: 'plan_limit',
        data: { limit: 'flows' },
      })
      expect((await createClient(b, 'B2')).statusCode).toBe(201)
      expect((await createClient(b, 'B3')).statusCode).toBe(402)
      await settle()
      await theirs.until(() => theirs.events.some((e) => e.event === 'alert'))
      expect(theirs.events.filter((e) => e.event === 'alert').map((e) => e.data.workspaceId)).toEqual([b.workspaceId])
    } finally {
      mine.close()
      theirs.close()
    }
    // A member who is not an admin, and an admin of another workspace, are refused the stream and the list.
    for (const [who, path, status] of [
      [memberB, `/api/workspaces/${b.workspaceId}/alerts/stream`, 403],
      [memberB, `/api/workspaces/${b.workspaceId}/alerts`, 403],
      [b.user, `/api/workspaces/${a.workspaceId}/alerts/stream`, 404],
      [b.user, `/api/workspaces/${a.workspaceId}/alerts`, 404],
    ] as const) {
      const res = await call(ctx.app, 'GET', path, as(who))
      expect(res.statusCode, path).toBe(status)
    }
  })

  it('acknowledges an alert once, for the whole workspace', async () => {
    const [alert] = (await list(a.workspaceId, a.user, '?unacknowledged=true')).items
    const before = (await list(a.workspaceId, a.user)).unacknowledged
    const ack = () => call(ctx.app, 'POST', `/api/workspaces/${a.workspaceId}/alerts/${alert!.id}/ack`, as(adminA))
    const first = await ack()
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toMatchObject({ id: alert!.id, acknowledgedBy: adminA.id })
    expect((await ack()).json().acknowledgedAt).toBe(first.json().acknowledgedAt)
    const after = await list(a.workspaceId, a.user, '?unacknowledged=true')
    expect(after.unacknowledged).toBe(before - 1)
    expect(after.items.map((x) => x.id)).not.toContain(alert!.id)
    // Another workspace's admin cannot reach it; a member of B cannot acknowledge B's.
    const foreign = await call(ctx.app, 'POST', `/api/workspaces/${b.workspaceId}/alerts/${alert!.id}/ack`, as(b.user))
    expect(foreign.statusCode).toBe(404)
    const [bAlert] = (await list(b.workspaceId, b.user)).items
    const byMember = await call(
      ctx.app,
      'POST',
      `/api/workspaces/${b.workspaceId}/alerts/${bAlert!.id}/ack`,
      as(memberB),
    )
    expect(byMember.statusCode).toBe(403)
  })

  it('refuses a webhook URL on a private or metadata address', async () => {
    for (const url of ['http://10.1.2.3/hook', 'http://169.254.169.254/latest', 'ftp://example.com/x']) {
      const res = await call(ctx.app, 'PUT', `/api/workspaces/${a.workspaceId}/alerts/webhook`, as(a.user), { url })
      expect(res.statusCode, url).toBe(400)
    }
    const state = await call(ctx.app, 'GET', `/api/workspaces/${a.workspaceId}/alerts/webhook`, as(a.user))
    expect(state.json()).toEqual({ webhook: null })
  })

  it('posts a new alert to the webhook, signed, retried until it is taken, once', async () => {
    const put = await call(ctx.app, 'PUT', `/api/workspaces/${a.workspaceId}/alerts/webhook`, as(adminA), {
      url: receiver.url,
    })
    expect(put.statusCode, put.body).toBe(200)
    const { secret } = put.json() as { secret: string }
    expect(secret).toMatch(/^whsec_/)
    const state = await call(ctx.app, 'GET', `/api/workspaces/${a.workspaceId}/alerts/webhook`, as(a.user))
    expect(state.json().webhook).toEqual({
      url: receiver.url,
      hint: secret.slice(-4),
      updatedAt: expect.any(String),
    })

    // A's members limit (2: owner and admin) refuses a third.
    const inv = await call(ctx.app, 'POST', `/api/workspaces/${a.workspaceId}/invitations`, as(a.user), {
      email: 'third@example.test',
      role: 'member',
    })
    expect(inv.statusCode).toBe(402)
    await settle()
    const alert = (await list(a.workspaceId, a.user)).items.find(
      (x) => x.kind === 'plan_limit' && x.data.limit === 'members',
    ) as AlertDto
    const jobs = await ctx.container.queue.boss.findJobs<{ alertId: string }>('alerts.deliver-webhook')
    expect(jobs.map((j) => j.data.alertId)).toEqual([alert.id])

    receiver.script.push(500)
    await expect(ctx.container.alerts.deliver(alert.id)).rejects.toThrow(/500/)
    await ctx.container.alerts.deliver(alert.id)
    await ctx.container.alerts.deliver(alert.id)
    expect(receiver.calls).toHaveLength(2)
    for (const c of receiver.calls) {
      expect(c.headers['idempotency-key']).toBe(alert.id)
      const [t, v1] = String(c.headers['camarad-signature']).split(',')
      const ts = t!.replace('t=', '')
      expect(v1).toBe(`v1=${createHmac('sha256', secret).update(`${ts}.${c.body}`).digest('hex')}`)
    }
    expect(JSON.parse(receiver.calls[0]!.body)).toMatchObject({
      id: alert.id,
      type: 'alert.plan_limit',
      workspaceId: a.workspaceId,
      url: 'http://camarad.test/app/settings/billing',
    })
  })

  it("raises in a caller's transaction only if it commits, and a rolled-back raise does not hold the window", async () => {
    const draft = {
      workspaceId: b.workspaceId,
      kind: 'number_disconnected' as const,
      severity: 'critical' as const,
      subject: 'ch_rolledbackrolledback',
      title: 'Rolled back',
      message: 'Never stored.',
    }
    await expect(
      ctx.container.db.transaction().execute(async (trx) => {
        expect((await ctx.container.alerts.raise(trx, draft)).alert).toBeDefined()
        throw new Error('the caller fails')
      }),
    ).rejects.toThrow('the caller fails')
    expect((await list(b.workspaceId, b.user)).items.filter((x) => x.title === 'Rolled back')).toEqual([])

    const raised = await ctx.container.db.transaction().execute((trx) => ctx.container.alerts.raise(trx, draft))
    raised.announce()
    expect(raised.alert).toMatchObject({ title: 'Rolled back', workspaceId: b.workspaceId })
    expect((await ctx.container.alerts.raise(ctx.container.db, draft)).alert).toBeUndefined()
    expect((await list(b.workspaceId, b.user)).items.filter((x) => x.title === 'Rolled back')).toHaveLength(1)
  })

  it('alerts when a flow fails three times in a row, once', async () => {
    const flowAs = { cookie: b.user.cookie, headers: { 'x-client-id': b.clientId } }
    const created = await call(ctx.app, 'POST', '/api/flows', flowAs, {
      name: 'Always fails',
      graph: {
        nodes: [
          node('start', 'core.manual'),
          node('halt', 'core.stop-with-error', { code: 'lead.rejected', message: 'no' }, 200),
        ],
        edges: [edge('start', 'halt')],
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    const flowId = created.json().id as string
    expect((await call(ctx.app, 'POST', `/api/flows/${flowId}/publish`, flowAs)).statusCode).toBe(200)
    const failing = async () => (await list(b.workspaceId, b.user)).items.filter((x) => x.kind === 'flow_failing')
    for (let i = 1; i <= 4; i++) {
      const run = await call(ctx.app, 'POST', `/api/flows/${flowId}/runs`, flowAs, { input: {} })
      expect(run.statusCode, run.body).toBe(202)
      await settle()
      expect(await failing(), `after run ${i}`).toHaveLength(i < 3 ? 0 : 1)
    }
    expect((await failing())[0]).toMatchObject({ severity: 'critical', link: `/app/flows/${flowId}`, data: { flowId } })
  })
})

describe('rate-limit alerts', () => {
  let ctx: TestContext

  beforeAll(async () => {
    ctx = await createTestContext({ RATE_LIMIT_PER_MINUTE: '12' })
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it("raises one alert to the admins of the workspace a member's refused requests name", async () => {
    const w = await onboard(ctx.app, 'rl-owner')
    const member = await addMember(ctx.app, w.user, w.workspaceId, 'member', 'rl-member')
    const burst = await Promise.all(
      Array.from({ length: 30 }, () =>
        call(ctx.app, 'GET', `/api/workspaces/${w.workspaceId}`, { cookie: member.cookie }),
      ),
    )
    expect(burst.filter((r) => r.statusCode === 429).length).toBeGreaterThan(10)
    // A member of no workspace named gets nothing raised for another one.
    const stranger = await onboard(ctx.app, 'rl-stranger')
    await Promise.all(
      Array.from({ length: 20 }, () =>
        call(ctx.app, 'GET', `/api/workspaces/${w.workspaceId}`, { cookie: stranger.user.cookie }),
      ),
    )
    await ctx.container.alerts.drain()
    const res = await call(ctx.app, 'GET', `/api/workspaces/${w.workspaceId}/alerts`, { cookie: w.user.cookie })
    expect(res.statusCode, res.body).toBe(200)
    expect((res.json() as AlertPage).items).toMatchObject([
      { kind: 'rate_limited', data: { userId: member.id, max: 12 }, link: '/app/settings/tokens' },
    ])
  })
})
