import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http'
import Stripe from 'stripe'
import { json } from './http-kit.ts'

export type StripeRequest = {
  method: string
  path: string
  form: Record<string, string>
  idempotencyKey: string | undefined
}
type StripeObject = Record<string, unknown> & { id: string }
type StripeEvent = {
  id: string
  object: 'event'
  type: string
  created: number
  data: { object: StripeObject }
} & Record<string, unknown>
/**
 * Where (and with which secret) the fake sends its events, as a Stripe webhook endpoint would receive them: a URL,
 * or `send` for an app that is not listening (a test's `inject`). Either answers the HTTP status.
 */
export type WebhookTarget = { secret: string } & (
  { url: string } | { send: (payload: string, signature: string) => Promise<number> }
)

const readForm = async (req: IncomingMessage) => {
  let raw = ''
  for await (const chunk of req) raw += chunk
  return Object.fromEntries(new URLSearchParams(raw))
}

/** `metadata[workspace_id]=w` (Stripe's form encoding) → `{ workspace_id: 'w' }` for the keys under `prefix`. */
const nested = (form: Record<string, string>, prefix: string) =>
  Object.fromEntries(
    Object.entries(form)
      .filter(([k]) => k.startsWith(`${prefix}[`))
      .map(([k, v]) => [k.slice(prefix.length + 1, -1), v]),
  )

const html = (res: ServerResponse, status: number, title: string, body: string) => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`,
  )
}
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const now = () => Math.floor(Date.now() / 1000)
const MONTH = 30 * 24 * 3600

/**
 * A loopback Stripe: the API (objects a test puts in it are what `retrieve` and the lists answer, its "current
 * state"; customers, Checkout and portal sessions are created with ids and URLs; every request is recorded with its
 * Idempotency-Key, and a repeated key answers the first response, as Stripe does) and the pages a customer sees.
 * A Checkout session's URL opens a hosted page on this server; paying there creates the subscription and its paid
 * invoice (or marks a top-up paid), signs the events with the SDK's test-header helper, POSTs them to the webhook
 * target and redirects to the session's success URL — the round trip a browser makes through real Checkout.
 */
export const startFakeStripe = async (options: { webhook?: WebhookTarget } = {}) => {
  const objects = new Map<string, StripeObject>()
  const events: StripeEvent[] = []
  const requests: StripeRequest[] = []
  const byKey = new Map<string, unknown>()
  const signer = new Stripe('sk_test_fake_signer')
  let webhook = options.webhook
  let seq = 0
  let url = ''
  const newId = (prefix: string) => `${prefix}_fake${++seq}`

  const create = (path: string, form: Record<string, string>): StripeObject | undefined => {
    if (path === '/v1/customers') return { id: newId('cus'), object: 'customer', metadata: nested(form, 'metadata') }
    if (path === '/v1/checkout/sessions') {
      const id = newId('cs')
      return {
        id,
        object: 'checkout.session',
        mode: form.mode,
        url: `${url}/checkout/${id}`,
        status: 'open',
        payment_status: 'unpaid',
        customer: form.customer ?? null,
        client_reference_id: form.client_reference_id ?? null,
        subscription: null,
        metadata: nested(form, 'metadata'),
        success_url: form.success_url,
        cancel_url: form.cancel_url,
        line_items: { price: form['line_items[0][price]'], quantity: Number(form['line_items[0][quantity]'] ?? 1) },
        subscription_metadata: nested(form, 'subscription_data[metadata]'),
      }
    }
    if (path === '/v1/billing_portal/sessions') {
      const id = newId('bps')
      return {
        id,
        object: 'billing_portal.session',
        url: `${url}/portal/${id}`,
        customer: form.customer,
        return_url: form.return_url ?? null,
      }
    }
    return undefined
  }

  /** Records an event (listed by `GET /v1/events`) and, unless told otherwise, delivers it signed to the webhook target. */
  const emit = async (type: string, object: StripeObject, opts: { deliver?: boolean } = {}) => {
    const event: StripeEvent = {
      id: newId('evt'),
      object: 'event',
      type,
      api_version: '2025-01-01',
      created: now(),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: structuredClone(object) },
    }
    events.push(event)
    if (opts.deliver !== false) await deliver(event)
    return event
  }

  /** POSTs an event to the webhook target, signed as Stripe signs it; the answer's status. */
  const deliver = async (event: StripeEvent) => {
    if (!webhook) return undefined
    const payload = JSON.stringify(event)
    const signature = signer.webhooks.generateTestHeaderString({ payload, secret: webhook.secret })
    if ('send' in webhook) return webhook.send(payload, signature)
    const res = await fetch(webhook.url, {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
    })
    await res.arrayBuffer()
    return res.status
  }

  /**
   * A succeeded PaymentIntent and its charge, as Stripe makes them when a customer pays: the charge is what a refund
   * or a dispute later points at (`charge.refunded`, `charge.dispute.created`).
   */
  const newPayment = (customer: unknown, amount: number) => {
    const pi: StripeObject = {
      id: newId('pi'),
      object: 'payment_intent',
      amount,
      amount_received: amount,
      currency: 'eur',
      customer,
      status: 'succeeded',
      created: now(),
    }
    const charge: StripeObject = {
      id: newId('ch'),
      object: 'charge',
      amount,
      amount_captured: amount,
      amount_refunded: 0,
      refunded: false,
      disputed: false,
      captured: true,
      paid: true,
      status: 'succeeded',
      currency: 'eur',
      customer,
      payment_intent: pi.id,
      created: now(),
      metadata: {},
    }
    pi.latest_charge = charge.id
    for (const o of [pi, charge]) objects.set(o.id, o)
    return { pi, charge }
  }

  /** What paying on the hosted Checkout page does in Stripe: objects first, then their events, in Stripe's order. */
  const pay = async (session: StripeObject) => {
    const items = session.line_items as { price: string; quantity: number }
    if (session.mode === 'subscription') {
      const periodEnd = now() + MONTH
      const sub: StripeObject = {
        id: newId('sub'),
        object: 'subscription',
        customer: session.customer,
        status: 'active',
        metadata: session.subscription_metadata,
        cancel_at_period_end: false,
        current_period_end: periodEnd,
        items: {
          object: 'list',
          data: [{ id: newId('si'), price: { id: items.price }, quantity: 1, current_period_end: periodEnd }],
        },
      }
      const invoice = newInvoice(sub)
      payInvoice(invoice)
      Object.assign(session, { status: 'complete', payment_status: 'paid', subscription: sub.id, invoice: invoice.id })
      for (const o of [sub, invoice]) objects.set(o.id, o)
      await emit('checkout.session.completed', session)
      await emit('customer.subscription.created', sub)
      await emit('invoice.paid', invoice)
    } else {
      const { pi } = newPayment(session.customer, (prices.get(items.price) ?? 0) * items.quantity)
      Object.assign(session, { status: 'complete', payment_status: 'paid', payment_intent: pi.id })
      await emit('checkout.session.completed', session)
    }
  }

  const newInvoice = (sub: StripeObject, status = 'paid'): StripeObject => {
    const id = newId('in')
    const price = (sub.items as { data: { price: { id: string } }[] }).data[0]!.price.id
    return {
      id,
      object: 'invoice',
      customer: sub.customer,
      status,
      number: `FAKE-${String(seq).padStart(4, '0')}`,
      currency: 'eur',
      amount_due: prices.get(price) ?? 0,
      amount_paid: status === 'paid' ? (prices.get(price) ?? 0) : 0,
      created: now(),
      hosted_invoice_url: `${url}/invoices/${id}`,
      invoice_pdf: `${url}/invoices/${id}.pdf`,
      parent: { type: 'subscription_details', subscription_details: { subscription: sub.id } },
      lines: { object: 'list', data: [{ pricing: { price_details: { price } } }] },
    }
  }
  /** A paid invoice's payment: its PaymentIntent and charge, linked by an invoice payment (how Stripe ties them now). */
  const payInvoice = (invoice: StripeObject) => {
    if (invoice.status !== 'paid') return undefined
    const { pi, charge } = newPayment(invoice.customer, Number(invoice.amount_paid ?? 0))
    const payment: StripeObject = {
      id: newId('inpay'),
      object: 'invoice_payment',
      invoice: invoice.id,
      is_default: true,
      status: 'paid',
      currency: 'eur',
      amount_paid: invoice.amount_paid,
      amount_requested: invoice.amount_due,
      payment: { type: 'payment_intent', payment_intent: pi.id },
      created: now(),
    }
    objects.set(payment.id, payment)
    return charge
  }

  /** Amounts (cents) the fake charges for a price id, for invoices; set with `price`. */
  const prices = new Map<string, number>()

  /** Stripe's list envelope over `items` (newest first), with `limit` and `starting_after` as the SDK pages. */
  const list = (path: string, items: StripeObject[], query: URLSearchParams) => {
    const limit = Number(query.get('limit') ?? 10)
    const after = query.get('starting_after')
    const start = after ? items.findIndex((o) => o.id === after) + 1 : 0
    const data = items.slice(start, start + limit)
    return { object: 'list', url: path, has_more: start + limit < items.length, data }
  }
  const newestFirst = (items: StripeObject[]) =>
    items
      .map((o, i) => ({ o, i }))
      .sort((a, b) => Number(b.o.created ?? 0) - Number(a.o.created ?? 0) || b.i - a.i)
      .map((x) => x.o)
  const ofKind = (kind: string, customer: string | null) =>
    [...objects.values()].filter((o) => o.object === kind && (!customer || o.customer === customer))

  const api = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => {
    const form = req.method === 'POST' ? await readForm(req) : Object.fromEntries(query)
    const key = req.headers['idempotency-key']
    const idempotencyKey = typeof key === 'string' ? key : undefined
    requests.push({ method: req.method ?? 'GET', path, form, idempotencyKey })
    if (req.method === 'GET') {
      if (path === '/v1/invoices')
        return json(res, 200, list(path, newestFirst(ofKind('invoice', query.get('customer'))), query))
      if (path === '/v1/subscriptions') {
        const status = query.get('status')
        const subs = ofKind('subscription', query.get('customer')).filter(
          (s) => status === 'all' || (status ? s.status === status : s.status !== 'canceled'),
        )
        return json(res, 200, list(path, subs.reverse(), query))
      }
      if (path === '/v1/checkout/sessions') {
        const pi = query.get('payment_intent')
        return json(
          res,
          200,
          list(
            path,
            newestFirst(
              ofKind('checkout.session', query.get('customer')).filter((o) => !pi || o.payment_intent === pi),
            ),
            query,
          ),
        )
      }
      if (path === '/v1/invoice_payments') {
        const pi = query.get('payment[payment_intent]')
        const invoice = query.get('invoice')
        const found = ofKind('invoice_payment', null).filter(
          (o) =>
            (!pi || (o.payment as { payment_intent: string }).payment_intent === pi) &&
            (!invoice || o.invoice === invoice),
        )
        return json(res, 200, list(path, newestFirst(found), query))
      }
      if (path === '/v1/events') {
        const gte = Number(query.get('created[gte]') ?? 0)
        // `types[]` as the SDK encodes an array (`types[0]=…`); without it, every type.
        const types = new Set([...query.entries()].filter(([k]) => /^types\[\d*\]$/.test(k)).map(([, v]) => v))
        return json(
          res,
          200,
          list(
            path,
            [...events].reverse().filter((e) => e.created >= gte && (types.size === 0 || types.has(e.type))),
            query,
          ),
        )
      }
      const match =
        /^\/v1\/(subscriptions|checkout\/sessions|invoices|customers|events|charges|disputes|payment_intents|refunds)\/([^/]+)$/.exec(
          path,
        )
      const id = match ? decodeURIComponent(match[2]!) : ''
      const found = match?.[1] === 'events' ? events.find((e) => e.id === id) : objects.get(id)
      if (!found)
        return json(res, 404, {
          error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such object: ${path}` },
        })
      return json(res, 200, found)
    }
    if (req.method === 'POST') {
      if (idempotencyKey && byKey.has(`${path}:${idempotencyKey}`))
        return json(res, 200, byKey.get(`${path}:${idempotencyKey}`))
      const created = create(path, form)
      if (!created) return json(res, 404, { error: { type: 'invalid_request_error', message: `Unknown path ${path}` } })
      objects.set(created.id, created)
      if (idempotencyKey) byKey.set(`${path}:${idempotencyKey}`, created)
      return json(res, 200, created)
    }
    return json(res, 405, { error: { type: 'invalid_request_error', message: 'Method not allowed' } })
  }

  /** The hosted pages: Checkout (pay or cancel) and the customer portal (cancel the subscription, or go back). */
  const pages = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const [, kind, id, action] = path.split('/')
    const object = id ? objects.get(id) : undefined
    if (!object || (kind !== 'checkout' && kind !== 'portal'))
      return html(res, 404, 'Not found', '<p>No such page.</p>')
    if (kind === 'checkout') {
      const items = object.line_items as { price: string; quantity: number }
      if (req.method === 'POST' && action === 'pay') {
        if (object.status === 'open') await pay(object)
        res.writeHead(303, { location: String(object.success_url).replace('{CHECKOUT_SESSION_ID}', object.id) })
        return res.end()
      }
      return html(
        res,
        200,
        'Fake Stripe Checkout',
        `<p>Price <code>${escape(items.price)}</code> × ${items.quantity} (${escape(String(object.mode))})</p>
        <form method="post" action="/checkout/${escape(object.id)}/pay"><button type="submit">Pay</button></form>
        <p><a href="${escape(String(object.cancel_url))}">Cancel and go back</a></p>`,
      )
    }
    const subs = ofKind('subscription', String(object.customer)).filter((s) => s.status !== 'canceled')
    if (req.method === 'POST' && action === 'cancel') {
      for (const sub of subs) {
        sub.status = 'canceled'
        await emit('customer.subscription.deleted', sub)
      }
      res.writeHead(303, { location: String(object.return_url) })
      return res.end()
    }
    return html(
      res,
      200,
      'Fake Stripe customer portal',
      `<p>${subs.length} active subscription(s).</p>
      ${subs.length ? `<form method="post" action="/portal/${escape(object.id)}/cancel"><button type="submit">Cancel subscription</button></form>` : ''}
      <p><a href="${escape(String(object.return_url))}">Return to Camarad</a></p>`,
    )
  }

  const server: Server = createServer(async (req, res) => {
    const target = new URL(req.url ?? '/', 'http://fake')
    try {
      if (target.pathname.startsWith('/v1/')) return await api(req, res, target.pathname, target.searchParams)
      return await pages(req, res, target.pathname)
    } catch (err) {
      return json(res, 500, { error: { type: 'api_error', message: err instanceof Error ? err.message : String(err) } })
    }
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return {
    url,
    requests,
    events,
    /** Sets an object's current state, as Stripe would now return it. */
    put: (object: StripeObject) => {
      objects.set(object.id, object)
    },
    get: (id: string) => objects.get(id),
    /** Where events go from now on (the app's URL is often known only after the fake started). */
    deliverTo: (target: WebhookTarget | undefined) => {
      webhook = target
    },
    /** The amount in cents invoices carry for a price id. */
    price: (id: string, cents: number) => {
      prices.set(id, cents)
    },
    emit,
    deliver,
    /** A paid (or failed) invoice for a subscription, stored as Stripe's current state. */
    invoice: (subscriptionId: string, status = 'paid') => {
      const sub = objects.get(subscriptionId)
      if (!sub) throw new Error(`no subscription ${subscriptionId}`)
      const invoice = newInvoice(sub, status)
      objects.set(invoice.id, invoice)
      payInvoice(invoice)
      return invoice
    },
    /** The charge that paid a top-up session or a subscription invoice (what a refund or a dispute points at). */
    chargeFor: (sessionOrInvoiceId: string) => {
      const paid = objects.get(sessionOrInvoiceId)
      const pi =
        paid?.object === 'invoice'
          ? (
              ofKind('invoice_payment', null).find((p) => p.invoice === paid.id)?.payment as
                { payment_intent: string } | undefined
            )?.payment_intent
          : paid?.payment_intent
      const charge = [...objects.values()].find((o) => o.object === 'charge' && o.payment_intent === pi)
      if (!charge) throw new Error(`no charge paid ${sessionOrInvoiceId}`)
      return charge
    },
    /** Refunds `amount` cents of a charge (all that is left when omitted) and sends `charge.refunded`, as the Dashboard does. */
    refund: async (chargeId: string, amount?: number, opts: { deliver?: boolean } = {}) => {
      const charge = objects.get(chargeId)
      if (!charge) throw new Error(`no charge ${chargeId}`)
      const left = Number(charge.amount) - Number(charge.amount_refunded)
      const cents = Math.min(amount ?? left, left)
      const refund: StripeObject = {
        id: newId('re'),
        object: 'refund',
        amount: cents,
        charge: chargeId,
        payment_intent: charge.payment_intent,
        currency: charge.currency,
        status: 'succeeded',
        created: now(),
      }
      objects.set(refund.id, refund)
      Object.assign(charge, {
        amount_refunded: Number(charge.amount_refunded) + cents,
        refunded: Number(charge.amount_refunded) + cents === Number(charge.amount),
      })
      return emit('charge.refunded', charge, opts)
    },
    /** The customer's bank disputes `amount` cents of a charge (all of it when omitted): `charge.dispute.created`. */
    dispute: async (chargeId: string, amount?: number, opts: { deliver?: boolean } = {}) => {
      const charge = objects.get(chargeId)
      if (!charge) throw new Error(`no charge ${chargeId}`)
      const dispute: StripeObject = {
        id: newId('dp'),
        object: 'dispute',
        amount: amount ?? Number(charge.amount),
        charge: chargeId,
        payment_intent: charge.payment_intent,
        currency: charge.currency,
        reason: 'fraudulent',
        status: 'needs_response',
        is_charge_refundable: false,
        created: now(),
        metadata: {},
      }
      objects.set(dispute.id, dispute)
      charge.disputed = true
      return emit('charge.dispute.created', dispute, opts)
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  }
}
export type FakeStripe = Awaited<ReturnType<typeof startFakeStripe>>
