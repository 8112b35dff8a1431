import { createServer, type IncomingMessage, type Server } from 'node:http'
import { json } from './http-kit.ts'

export type StripeRequest = { method: string; path: string; form: Record<string, string>; idempotencyKey: string | undefined }
type StripeObject = Record<string, unknown> & { id: string }

const readForm = async (req: IncomingMessage) => {
  let raw = ''
  for await (const chunk of req) raw += chunk
  return Object.fromEntries(new URLSearchParams(raw))
}

/**
 * A loopback Stripe API: the objects a test puts in it are what `retrieve` answers (its "current state"); creations
 * (customers, Checkout and portal sessions) get ids and URLs. Every request is recorded with its Idempotency-Key,
 * and a repeated key answers the first response, as Stripe does.
 */
export const startFakeStripe = async () => {
  const objects = new Map<string, StripeObject>()
  const requests: StripeRequest[] = []
  const byKey = new Map<string, unknown>()
  let seq = 0
  const newId = (prefix: string) => `${prefix}_fake${++seq}`

  const create = (path: string, form: Record<string, string>): StripeObject | undefined => {
    if (path === '/v1/customers') return { id: newId('cus'), object: 'customer', metadata: {} }
    if (path === '/v1/checkout/sessions') {
      const id = newId('cs')
      return { id, object: 'checkout.session', mode: form.mode, url: `https://checkout.stripe.test/c/${id}`, customer: form.customer, client_reference_id: form.client_reference_id ?? null }
    }
    if (path === '/v1/billing_portal/sessions') { const id = newId('bps'); return { id, object: 'billing_portal.session', url: `https://billing.stripe.test/p/${id}`, customer: form.customer } }
    return undefined
  }

  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const form = req.method === 'POST' ? await readForm(req) : {}
    const key = req.headers['idempotency-key']
    const idempotencyKey = typeof key === 'string' ? key : undefined
    requests.push({ method: req.method ?? 'GET', path, form, idempotencyKey })
    if (req.method === 'GET') {
      const match = /^\/v1\/(subscriptions|checkout\/sessions|invoices|customers)\/([^/]+)$/.exec(path)
      const found = match ? objects.get(decodeURIComponent(match[2]!)) : undefined
      if (!found) return json(res, 404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such object: ${path}` } })
      return json(res, 200, found)
    }
    if (req.method === 'POST') {
      if (idempotencyKey && byKey.has(`${path}:${idempotencyKey}`)) return json(res, 200, byKey.get(`${path}:${idempotencyKey}`))
      const created = create(path, form)
      if (!created) return json(res, 404, { error: { type: 'invalid_request_error', message: `Unknown path ${path}` } })
      objects.set(created.id, { ...created, form })
      if (idempotencyKey) byKey.set(`${path}:${idempotencyKey}`, created)
      return json(res, 200, created)
    }
    return json(res, 405, { error: { type: 'invalid_request_error', message: 'Method not allowed' } })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return {
    url, requests,
    /** Sets an object's current state, as Stripe would now return it. */
    put: (object: StripeObject) => { objects.set(object.id, object) },
    get: (id: string) => objects.get(id),
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  }
}
export type FakeStripe = Awaited<ReturnType<typeof startFakeStripe>>
