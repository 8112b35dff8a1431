import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendFileSync } from 'node:fs'
import type { InjectOptions } from 'fastify'
import {
  addMember,
  createTestContext,
  createToken,
  onboard,
  ORIGIN,
  TEST_INTERNAL_TOKEN,
  type TestContext,
} from '../harness.ts'

/**
 * Malformed input is a 4xx, never a 500. Every operation of the OpenAPI document is called as a signed-in owner
 * with broken values in its path, query, headers and body: NUL bytes, lone surrogates, over-long strings, ids of the
 * wrong kind, huge numbers, wrong JSON types, deeply nested JSON. Routes added later are covered by construction.
 */

type Schema = {
  $ref?: string
  type?: string | string[]
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  enum?: unknown[]
  const?: unknown
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
  format?: string
  minimum?: number
  exclusiveMinimum?: number
  minLength?: number
  minItems?: number
  default?: unknown
}
type Operation = {
  parameters?: { in: string; name: string }[]
  requestBody?: { content?: Record<string, { schema?: Schema }> }
}
type Doc = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } }

const nested = (depth: number): unknown => {
  let v: unknown = 'deep'
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v]
  return v
}
/** Deep JSON as text: JSON.stringify would recurse as deep as the value. */
const deepJson = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
const deepArrayJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)

const BAD_STRINGS = ['nul\u0000byte', 'lone\ud800surrogate', 'trail\udc00ing', 'x'.repeat(20_000)]
const BAD_VALUES: unknown[] = [
  ...BAD_STRINGS,
  1e308,
  -1e308,
  2 ** 64,
  -1,
  0.5,
  true,
  null,
  {},
  [],
  { $gt: '' },
  ['a', 'b'],
  nested(20),
  nested(200),
]
const BAD_BODIES: string[] = [
  '[]',
  '"text"',
  '42',
  'null',
  deepJson(500),
  deepArrayJson(100_000),
  '{"nul\\u0000key":1}',
  '{"lone\\ud800key":1}',
]
/** Query values as they appear in a URL (already encoded). */
const BAD_QUERY = [
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%F0%9F',
  'x'.repeat(5_000),
  '1e309',
  '-1',
  '99999999999999999999999999',
  'NaN',
  '[]',
  '%7B%7D',
]
const BAD_PATH = [
  '%00',
  'cl_%00AAAAAAAAAAAAAAAAAAAAA',
  '%ED%A0%80',
  'zz_AAAAAAAAAAAAAAAAAAAAAA',
  'ws',
  'x'.repeat(300),
  '..',
  '%2F',
  '-1',
  '1e309',
]
const ID_HEADERS = ['x-workspace-id', 'x-client-id', 'idempotency-key', 'x-request-id']
const BAD_HEADER_VALUES = ['ws_\u0000AAAAAAAAAAAAAAAAAAAAA', 'ws_\ud800AAAAAAAAAAAAAAAAAAAAA', 'x'.repeat(10_000)]

let ctx: TestContext
let doc: Doc
let world: Awaited<ReturnType<typeof buildWorld>>

const buildWorld = async () => {
  const owner = await onboard(ctx.app, 'malformed-owner')
  const member = await addMember(ctx.app, owner.user, owner.workspaceId, 'member', 'malformed-member')
  const { token, apiToken } = await createToken(ctx.app, owner.user)
  const as = { cookie: owner.user.cookie, workspaceId: owner.workspaceId }
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    ctx.app.inject({
      method: 'POST',
      url,
      headers: { cookie: as.cookie, origin: ORIGIN, 'x-workspace-id': as.workspaceId, ...headers },
      payload: body as InjectOptions['payload'],
    })
  const agentId = (await post('/api/agents', { name: 'Probe', instructions: 'Be brief.' })).json().id as string
  const conversationId = (await post('/api/chat/conversations', { agentId }, { 'x-client-id': owner.clientId })).json()
    .id as string
  const meetingId = (
    await post(
      '/api/boardroom/meetings',
      { topic: 'Probe', agentIds: ['builtin.ppc-specialist', 'builtin.copywriter'] },
      { 'x-client-id': owner.clientId },
    )
  ).json().id as string
  return { ...owner, memberId: member.id, token, tokenId: apiToken.id, agentId, conversationId, meetingId }
}

/** A real id of the owner's for a path parameter, guessed from the path; an unknown well-formed id otherwise. */
const realParam = (path: string, name: string) => {
  if (name === 'userId') return world.memberId
  if (name === 'provider') return 'openai'
  if (name === 'token') return 'not-a-real-invitation-token'
  if (path.startsWith('/api/workspaces/') || path.startsWith('/api/operator/workspaces/')) return world.workspaceId
  if (path.startsWith('/api/clients/')) return world.clientId
  if (path.startsWith('/api/agents/')) return world.agentId
  if (path.startsWith('/api/chat/conversations/')) return world.conversationId
  if (path.startsWith('/api/boardroom/meetings/')) return world.meetingId
  if (path.startsWith('/api/tokens/')) return world.tokenId
  return 'zz_AAAAAAAAAAAAAAAAAAAAAA'
}

const deref = (s: Schema | undefined): Schema => {
  if (!s) return {}
  if (s.$ref) return deref(doc.components?.schemas?.[s.$ref.split('/').pop()!])
  return s
}

/** Real ids where a body names one of the owner's rows, so the broken field is the only thing wrong. */
const KNOWN_FIELDS = (): Record<string, unknown> => ({
  agentId: world.agentId,
  clientId: world.clientId,
  workspaceId: world.workspaceId,
  agentIds: ['builtin.ppc-specialist', 'builtin.copywriter'],
  email: 'probe@example.test',
  model: 'offline',
  messages: [{ role: 'user', content: 'hello' }],
})

/** A plausible value for a JSON schema: required fields only, the first enum value, minimums. */
const sample = (schema: Schema | undefined, depth = 0, name?: string): unknown => {
  const s = deref(schema)
  const known = KNOWN_FIELDS()
  if (name && name in known) return known[name]
  if (depth > 8) return undefined
  if (s.const !== undefined) return s.const
  if (s.enum) return s.enum[0]
  if (s.default !== undefined) return s.default
  const alt = s.anyOf ?? s.oneOf
  if (alt) return sample(alt.find((a) => deref(a).type !== 'null') ?? alt[0], depth + 1, name)
  if (s.allOf) return Object.assign({}, ...s.allOf.map((x) => sample(x, depth + 1) as object))
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type
  switch (type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(s.properties ?? {})
          .filter(([k]) => s.required?.includes(k))
          .map(([k, v]) => [k, sample(v, depth + 1, k)]),
      )
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => sample(s.items, depth + 1))
    case 'string':
      if (s.format === 'email') return 'probe@example.test'
      if (s.format === 'date-time') return new Date().toISOString()
      if (s.format === 'uri') return 'https://example.test/'
      return 'p'.repeat(Math.max(s.minLength ?? 0, 8))
    case 'integer':
    case 'number':
      return Math.max(s.minimum ?? 1, (s.exclusiveMinimum ?? 0) + 1)
    case 'boolean':
      return false
    default:
      return 'probe'
  }
}

type Probe = {
  method: string
  path: string
  url: string
  headers?: Record<string, string>
  payload?: string
  label: string
}

const fill = (path: string, override: Record<string, string> = {}) =>
  path.replace(/\{(\w+)\}/g, (_, k: string) => override[k] ?? encodeURIComponent(realParam(path, k)))

const probesFor = (path: string, method: string, op: Operation): Probe[] => {
  const base = { method, path }
  const probes: Probe[] = []
  const params = op.parameters ?? []
  const bodySchema = op.requestBody?.content?.['application/json']?.schema
  const body = bodySchema ? sample(bodySchema) : undefined
  const payload = body === undefined ? undefined : JSON.stringify(body)
  for (const p of params.filter((x) => x.in === 'path'))
    for (const bad of BAD_PATH)
      probes.push({ ...base, url: fill(path, { [p.name]: bad }), payload, label: `path ${p.name}=${bad.slice(0, 30)}` })
  for (const p of params.filter((x) => x.in === 'query'))
    for (const bad of BAD_QUERY)
      probes.push({
        ...base,
        url: `${fill(path)}?${p.name}=${bad}&${p.name}=${bad}`,
        payload,
        label: `query ${p.name}=${bad.slice(0, 30)}`,
      })
  for (const h of ID_HEADERS)
    for (const bad of BAD_HEADER_VALUES)
      probes.push({
        ...base,
        url: fill(path),
        headers: { [h]: bad },
        payload,
        label: `header ${h}=${JSON.stringify(bad.slice(0, 30))}`,
      })
  if (bodySchema) {
    for (const b of BAD_BODIES) probes.push({ ...base, url: fill(path), payload: b, label: `body ${b.slice(0, 40)}` })
    const props = Object.keys(deref(bodySchema).properties ?? {})
    for (const prop of props)
      for (const bad of BAD_VALUES)
        probes.push({
          ...base,
          url: fill(path),
          payload: JSON.stringify({ ...(body as object), [prop]: bad }),
          label: `body.${prop}=${JSON.stringify(bad)?.slice(0, 40)}`,
        })
  }
  return probes
}

const send = async (p: Probe) => {
  const headers: Record<string, string> = {
    origin: ORIGIN,
    'x-workspace-id': world.workspaceId,
    'x-client-id': world.clientId,
    'x-internal-token': TEST_INTERNAL_TOKEN,
    ...(p.path.startsWith('/v1/') ? { authorization: `Bearer ${world.token}` } : { cookie: world.user.cookie }),
    ...(p.payload === undefined ? {} : { 'content-type': 'application/json' }),
    ...p.headers,
  }
  const res = await ctx.app.inject({
    method: p.method as InjectOptions['method'],
    url: p.url,
    headers,
    ...(p.payload === undefined ? {} : { payload: p.payload }),
    payloadAsStream: true,
  })
  const stream = res.stream()
  // A live feed (Server-Sent Events) answers with its status line and then goes on for as long as it is followed:
  // its status is the answer.
  if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
    stream.destroy()
    return { statusCode: res.statusCode, body: '' }
  }
  let body = ''
  for await (const chunk of stream) body += String(chunk)
  return { statusCode: res.statusCode, body }
}

/** A 502/503 that names its cause (a provider, Stripe, a switched-off operator API) is an answer; `internal` is a bug. */
const isServerBug = (status: number, body: string) => {
  if (status < 500) return false
  try {
    return status === 500 || JSON.parse(body).error?.code === 'internal'
  } catch {
    return true
  }
}

beforeAll(async () => {
  ctx = await createTestContext()
  world = await buildWorld()
  doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as Doc
})
afterAll(async () => {
  await ctx?.close()
})

describe('the input guard', () => {
  const post = (url: string, payload: string, headers: Record<string, string> = {}) =>
    ctx.app.inject({
      method: 'POST',
      url,
      payload,
      headers: {
        cookie: world.user.cookie,
        origin: ORIGIN,
        'x-workspace-id': world.workspaceId,
        'content-type': 'application/json',
        ...headers,
      },
    })
  const clientNames = async () =>
    (
      (
        await ctx.app.inject({
          method: 'GET',
          url: '/api/clients?limit=100',
          headers: { cookie: world.user.cookie, 'x-workspace-id': world.workspaceId },
        })
      ).json().items as { name: string }[]
    ).map((c) => c.name)

  for (const [label, name] of [
    ['a NUL byte', 'a\\u0000b'],
    ['a lone high surrogate', 'a\\ud800b'],
    ['a lone low surrogate', 'a\\udc00b'],
  ]) {
    it(`answers 400 request.invalid to ${label} in a body and creates nothing`, async () => {
      const before = await clientNames()

      const res = await post('/api/clients', `{"name":"${name}"}`)

      expect(res.statusCode).toBe(400)
      expect(res.json().error.code).toBe('request.invalid')
      expect(await clientNames()).toEqual(before)
    })
  }

  it('answers 400 request.invalid to a NUL byte in a query value', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/api/clients?q=a%00b',
      headers: { cookie: world.user.cookie, 'x-workspace-id': world.workspaceId },
    })

    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('request.invalid')
  })

  it('answers 400 request.invalid to a NUL byte in a path id', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/api/clients/cl_%00AAAAAAAAAAAAAAAAAAAAA',
      headers: { cookie: world.user.cookie },
    })

    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('request.invalid')
  })

  for (const header of ['x-workspace-id', 'x-client-id', 'idempotency-key', 'x-request-id'])
    it(`answers 400 request.invalid to a NUL byte in ${header}`, async () => {
      const res = await ctx.app.inject({
        method: 'GET',
        url: '/api/clients',
        headers: {
          cookie: world.user.cookie,
          'x-workspace-id': world.workspaceId,
          [header]: 'ws_\u0000AAAAAAAAAAAAAAAAAAAAA',
        },
      })

      expect(res.statusCode).toBe(400)
      expect(res.json().error.code).toBe('request.invalid')
    })

  it('answers 400 request.invalid to JSON nested deeper than any request needs', async () => {
    const res = await post('/api/clients', `{"name":"deep","notes":${'['.repeat(100)}${']'.repeat(100)}}`)

    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('request.invalid')
  })

  for (const id of ['ws', 'not an id', '12345', 'x'.repeat(60), 'cl_short'])
    it(`answers 404 to a path id that cannot be one (${id.slice(0, 12)})`, async () => {
      const res = await ctx.app.inject({
        method: 'GET',
        url: `/api/clients/${encodeURIComponent(id)}`,
        headers: { cookie: world.user.cookie },
      })

      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toEqual(expect.any(String))
    })

  it('answers 404 to a well-formed id of another kind', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: `/api/clients/${world.workspaceId}`,
      headers: { cookie: world.user.cookie },
    })

    expect(res.statusCode).toBe(404)
  })

  it('answers a URL the router cannot decode with the usual error shape', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/api/clients/%ED%A0%80',
      headers: { cookie: world.user.cookie },
    })

    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('request.invalid')
  })
})

describe('malformed input on every operation', () => {
  it('never answers a 5xx to broken path, query, header or body values', async () => {
    // Signing out would end the session the rest of the sweep uses: it goes last.
    const ops = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => ({ path, method: m.toUpperCase(), op })))
      .sort((a, b) => Number(a.path === '/api/auth/logout') - Number(b.path === '/api/auth/logout'))
    expect(ops.length).toBeGreaterThan(50)
    const failures: string[] = []
    let sent = 0
    for (const { path, method, op } of ops) {
      for (const probe of probesFor(path, method, op)) {
        const res = await Promise.race([send(probe), new Promise<null>((ok) => setTimeout(() => ok(null), 20_000))])
        sent++
        if (process.env.MALFORMED_TRACE)
          appendFileSync(
            process.env.MALFORMED_TRACE,
            `${method} ${path} ${probe.label} → ${res?.statusCode ?? 'timeout'}\n`,
          )
        if (!res) failures.push(`${method} ${path} ${probe.label} → no answer in 20 s`)
        else if (isServerBug(res.statusCode, res.body))
          failures.push(`${method} ${path} ${probe.label} → ${res.statusCode}`)
      }
    }
    expect(sent).toBeGreaterThan(1000)
    expect(failures).toEqual([])
  }, 600_000)
})
