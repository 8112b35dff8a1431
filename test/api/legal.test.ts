import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createTestContext, type TestContext } from '../harness.ts'

let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext()
})
afterAll(async () => {
  await ctx.close()
})

describe('legal and trust pages', () => {
  it.each([
    ['terms', 'Terms of Service'],
    ['privacy', 'Privacy Notice'],
    ['legal', null],
    ['refunds', 'Refund Policy'],
    ['dpa', 'Data Processing Agreement (template)'],
    ['subprocessors', 'Sub-processors'],
    ['cookies', 'Cookie Notice'],
  ])('serves %s publicly, titled from its first heading', async (doc, title) => {
    const res = await call(ctx.app, 'GET', `/api/legal?doc=${doc}`)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    if (title) expect(body.title).toBe(title)
    expect(body.markdown.length).toBeGreaterThan(200)
    expect(Date.parse(body.updatedAt)).not.toBeNaN()
  })

  it('names every cookie the server sets, and says there are no others', async () => {
    const { markdown } = (await call(ctx.app, 'GET', '/api/legal?doc=cookies')).json()
    for (const name of ['camarad_session', 'camarad_oidc', 'camarad_google_connect']) expect(markdown).toContain(name)
    expect(markdown).toMatch(/no advertising, analytics or tracking cookies/)
  })

  it('refuses an unknown document with 400 and a code', async () => {
    const res = await call(ctx.app, 'GET', '/api/legal?doc=../../package')
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toMatch(/^[a-z_]+\.[a-z_]+$/)
  })
})
