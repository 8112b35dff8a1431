import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import type { FastifyInstance } from 'fastify'
import { isTracing, tracer, withRequestId } from './tracing.ts'

/**
 * One server span per request (`METHOD /route/pattern`), a child of an incoming `traceparent`, carrying the request id,
 * the route, the answer's status, the workspace the scope resolved to and a webhook's source. Its context is made
 * active for the rest of the hooks and the handler (Fastify's body parser keeps it across the body's stream events), so
 * database, model and other spans nest under it. Registered first, before any other hook; nothing when tracing is off.
 */
export const registerHttpTracing = (app: FastifyInstance) => {
  if (!isTracing()) return
  app.addHook('onRequest', (req, reply, done) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers)
    const route = req.routeOptions.url
    const webhook = req.routeOptions.config?.webhook
    const span = tracer.startSpan(
      route ? `${req.method} ${route}` : req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'camarad.request_id': req.id,
          ...(route ? { 'http.route': route } : {}),
          ...(webhook ? { 'webhook.source': webhook } : {}),
        },
      },
      parent,
    )
    const ctx = withRequestId(trace.setSpan(parent, span), req.id)
    let ended = false
    // At the answer's end, also when a route hijacks the reply (a stream, a flow's answer) or the client goes away.
    const end = () => {
      if (ended) return
      ended = true
      const status = reply.raw.statusCode
      span.setAttribute('http.response.status_code', status)
      if (req.workspaceId) span.setAttribute('camarad.workspace_id', req.workspaceId)
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    }
    reply.raw.once('finish', end)
    reply.raw.once('close', end)
    context.with(ctx, done)
  })
}
