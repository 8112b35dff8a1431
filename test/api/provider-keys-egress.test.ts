import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { call, createTestContext, createToken, onboard, type TestContext } from '../harness.ts'
import { parseSse, sseData, textOf } from '../sse.ts'

// Names resolve through this table instead of DNS, so a test can move a name after it was saved.
const dns = new Map<string, string>()
const egressLookup = async (hostname: string) => {
  const address = dns.get(hostname)
  if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
  return [{ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }]
}

let fake: FakeOpenAI
let ctx: TestContext
beforeAll(async () => {
  fake = await startFakeOpenAI({ text: 'Answered through the guard.', apiKey: 'sk-workspace-key-5678' })
  ctx = await createTestContext({}, { egressLookup })
})
afterAll(async () => {
  await ctx.close()
  await fake.close()
})

const port = () => new URL(fake.url).port
const putKey = (owner: Awaited<ReturnType<typeof onboard>>, provider: string, body: Record<string, unknown>) =>
  call(
    ctx.app,
    'PUT',
    `/api/workspaces/${owner.workspaceId}/provider-keys/${provider}`,
    { cookie: owner.user.cookie },
    { apiKey: 'sk-workspace-key-5678', ...body },
  )

describe('workspace base URLs go through the egress guard', () => {
  it.each([
    ['loopback', () => `http://127.0.0.1:${port()}/v1`],
    ['loopback as a decimal number', () => `http://2130706433:${port()}/v1`],
    ['loopback in hex', () => `http://0x7f.1:${port()}/v1`],
    ['loopback in octal', () => `http://0177.0.0.1:${port()}/v1`],
    ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${port()}/v1`],
    ['IPv6 loopback', () => `http://[::1]:${port()}/v1`],
    ['a private network', () => 'http://10.1.2.3/v1'],
    ['link-local', () => 'http://[fe80::1]/v1'],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data'],
    [
      'a name resolving to loopback',
      () => {
        dns.set('inside.example.test', '127.0.0.1')
        return `http://inside.example.test:${port()}/v1`
      },
    ],
  ])('refuses %s when the key is saved, and stores nothing', async (_kind, url) => {
    const owner = await onboard(ctx.app, 'egress-save')
    const res = await putKey(owner, 'openai', { baseUrl: url() })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('egress.address_not_allowed')
    expect(
      (
        await call(ctx.app, 'GET', `/api/workspaces/${owner.workspaceId}/provider-keys`, { cookie: owner.user.cookie })
      ).json().items,
    ).toEqual([])
    expect(fake.requests).toHaveLength(0)
  })

  it('refuses an OpenAI-compatible server on a private address, and a base URL with credentials', async () => {
    const owner = await onboard(ctx.app, 'egress-compat')
    const res = await putKey(owner, 'openai-compatible', {
      baseUrl: 'http://192.168.1.20:11434/v1',
      models: ['llama3.1'],
    })
    expect(res.json().error.code).toBe('egress.address_not_allowed')
    dns.set('llm.example.test', '93.184.216.34')
    const creds = await putKey(owner, 'openai', { baseUrl: 'http://user:secret@llm.example.test/v1' })
    expect(creds.statusCode).toBe(400)
    expect(creds.json().error.code).toBe('egress.invalid_url')
  })

  it('refuses the calls, with no request reaching loopback, once a saved name resolves to 127.0.0.1', async () => {
    const owner = await onboard(ctx.app, 'egress-rebind')
    dns.set('rebind.example.test', '93.184.216.34')
    expect((await putKey(owner, 'openai', { baseUrl: `http://rebind.example.test:${port()}/v1` })).statusCode).toBe(200)
    dns.set('rebind.example.test', '127.0.0.1')

    const as = { cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } }
    const conversation = (
      await call(ctx.app, 'POST', '/api/chat/conversations', as, { agentId: 'builtin.copywriter' })
    ).json().id
    const events = parseSse(
      (await call(ctx.app, 'POST', `/api/chat/conversations/${conversation}/messages`, as, { content: 'Headline?' }))
        .body,
    )
    expect(events.find((e) => e.event === 'error')!.data).toMatchObject({ code: 'egress.address_not_allowed' })

    const { token } = await createToken(ctx.app, owner.user)
    const v1 = { token, origin: null, workspaceId: owner.workspaceId }
    for (const stream of [false, true]) {
      const res = await call(ctx.app, 'POST', '/v1/chat/completions', v1, {
        model: 'openai:gpt-4o-mini',
        stream,
        messages: [{ role: 'user', content: 'Hi' }],
      })
      expect(res.statusCode).toBe(400)
      expect(res.json().error.code).toBe('egress.address_not_allowed')
    }
    expect(fake.requests).toHaveLength(0)
  })
})

describe('an operator allowlist (EGRESS_ALLOW_PRIVATE)', () => {
  let open: TestContext
  beforeAll(async () => {
    open = await createTestContext({ EGRESS_ALLOW_PRIVATE: '127.0.0.1/32,169.254.0.0/16' })
  })
  afterAll(async () => {
    await open.close()
  })

  it('lets a workspace use a server in the opened range, streaming through the guard', async () => {
    const owner = await onboard(open.app, 'egress-open')
    const put = await call(
      open.app,
      'PUT',
      `/api/workspaces/${owner.workspaceId}/provider-keys/openai`,
      { cookie: owner.user.cookie },
      { apiKey: 'sk-workspace-key-5678', baseUrl: fake.url },
    )
    expect(put.statusCode).toBe(200)
    const { token } = await createToken(open.app, owner.user)
    const res = await call(
      open.app,
      'POST',
      '/v1/chat/completions',
      { token, origin: null, workspaceId: owner.workspaceId },
      { model: 'openai:gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Hi' }] },
    )
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/event-stream')
    const chunks = sseData(res.body)
      .filter((d) => d !== '[DONE]')
      .map((d) => JSON.parse(d))
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Answered through the guard.')
    expect(res.body.trim().endsWith('data: [DONE]')).toBe(true)

    const as = { cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } }
    const conversation = (
      await call(open.app, 'POST', '/api/chat/conversations', as, { agentId: 'builtin.copywriter' })
    ).json().id
    expect(
      textOf(
        parseSse(
          (await call(open.app, 'POST', `/api/chat/conversations/${conversation}/messages`, as, { content: 'Hi' }))
            .body,
        ),
      ),
    ).toBe('Answered through the guard.')
  })

  it('still refuses cloud metadata inside an opened range', async () => {
    const owner = await onboard(open.app, 'egress-metadata')
    const res = await call(
      open.app,
      'PUT',
      `/api/workspaces/${owner.workspaceId}/provider-keys/openai`,
      { cookie: owner.user.cookie },
      { apiKey: 'sk-workspace-key-5678', baseUrl: 'http://169.254.169.254/v1' },
    )
    expect(res.json().error.code).toBe('egress.address_not_allowed')
  })
})
