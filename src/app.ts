import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import cookie from '@fastify/cookie'
import rateLimit from '@fastify/rate-limit'
import fastifyStatic from '@fastify/static'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod'
import type { Container } from './container.ts'
import { registerErrorHandler, routeNotFound } from './platform/http/error-handler.ts'
import { authErrors, requestErrors } from './platform/http/http.errors.ts'
import { ipKey } from './platform/http/client-ip.ts'
import { registerInputGuard } from './platform/http/input-guard.ts'
import { registerSecurity } from './platform/http/security.ts'
import { registerHttpTracing } from './platform/observability/http-spans.ts'
import { logRequest, loggerOptions } from './platform/observability/logger.ts'

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/
/**
 * The matched route's pattern, never the raw URL: the router decodes `/%61pi/…` to `/api/…`, so a check on
 * `req.url` would let an encoded path skip it. Unmatched paths (404) have no route and need no auth.
 */
const isApiRoute = (req: FastifyRequest) => {
  const route = req.routeOptions.url
  return (
    route !== undefined && (route.startsWith('/api/') || route.startsWith('/v1/')) && !route.startsWith('/api/docs')
  )
}
/** Client-side routes of the web app; any other path gets the app's 404 page with a 404 status. */
const WEB_ROUTES = [
  /^\/$/,
  /^\/(login|signup|onboarding|chat-demo|pricing|status|operator|verify-email|forgot-password|reset-password)\/?$/,
  /^\/(terms|privacy|legal|refunds|dpa|subprocessors|cookies)\/?$/,
  /^\/app(\/.*)?$/,
  /^\/invite\/[^/]+\/?$/,
]

/** Builds the HTTP app without listening, so tests drive it with `app.inject`. */
export const buildApp = async (
  c: Container,
  options: { logStream?: { write(line: string): void } } = {},
): Promise<FastifyInstance> => {
  const { config } = c
  const app = Fastify({
    logger: loggerOptions(config.LOG_LEVEL, options.logStream, config.LOG_FORMAT),
    // One line per request at its response (logRequest), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // A hop count trusts that many proxies nearest to us (what Fastify does with a number; its types want a function).
    trustProxy:
      typeof config.TRUST_PROXY === 'number'
        ? (
            (hops) => (_addr: string, hop: number) =>
              hop < hops
          )(config.TRUST_PROXY)
        : config.TRUST_PROXY,
    genReqId: (req) => {
      const sent = req.headers['x-request-id']
      return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : crypto.randomUUID()
    },
    ajv: { customOptions: { removeAdditional: false } },
    // A path the router cannot decode (`%ED%A0%80`, a lone surrogate) gets the same error shape as any other 400.
    frameworkErrors: (_error, req, reply) =>
      (reply as FastifyReply)
        .code(400)
        .send({ error: { code: 'request.invalid', message: 'The request URL is malformed.', requestId: req.id } }),
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  // JSON only: Fastify's default text/plain parser would let bodies in under another content type.
  app.removeContentTypeParser('text/plain')
  app.decorateRequest('auth', null)
  app.decorateRequest('arrivedAt', 0)
  // First of all hooks: every later hook and the handler run inside the request's span (when tracing is on).
  registerHttpTracing(app)
  // Live streams never end by themselves: a shutdown ends them first, or the server's close would wait for the force exit
  // (and a worker in the process would not release what it holds — QR numbers' leases — before it).
  app.addHook('preClose', (done) => {
    c.streams.endAll()
    done()
  })
  app.addHook('onRequest', async (req, reply) => {
    req.arrivedAt = performance.now()
    reply.header('x-request-id', req.id)
  })
  // Every /api route needs a signed-in caller unless it is declared public: checked before the body is validated.
  app.addHook('preValidation', async (req) => {
    if (!req.auth && isApiRoute(req) && !req.routeOptions.config?.public) throw authErrors.unauthenticated()
    // JSON bodies only where a route declares one; an unknown route (no url) answers its 404 whatever the body.
    if (req.routeOptions.url && req.body !== undefined && req.body !== null && !req.routeOptions.schema?.body)
      throw requestErrors.unexpected_body()
  })
  // NUL bytes, lone surrogates and absurd nesting anywhere in the input: 400 before any route sees them.
  registerInputGuard(app)
  // A webhook's delivery is counted when its answer is written, also when the route hijacks the reply (a flow's answer).
  app.addHook('onRequest', async (req, reply) => {
    const source = req.routeOptions.config?.webhook
    if (source) reply.raw.once('finish', () => c.metrics.webhookReceived(source, reply.raw.statusCode))
  })
  app.addHook('onResponse', async (req, reply) => {
    logRequest(req, reply)
    c.metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    )
  })

  registerErrorHandler(app)
  await app.register(cookie, { secret: config.secretKey, hook: 'onRequest' })
  // After the cookie parser: who is calling is resolved once, before any route or rate limit sees the request.
  app.addHook('onRequest', async (req) => {
    if (isApiRoute(req)) await c.identity.resolveAuth(req)
  })
  await registerSecurity(app, {
    publicUrl: config.publicUrl,
    corsOrigins: config.CORS_ORIGINS,
    isProduction: config.isProduction,
  })
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: config.RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    keyGenerator: (req) => (req.auth ? `user:${req.auth.userId}` : `ip:${ipKey(req.ip)}`),
    onExceeded: (req) => c.alerts.rateLimited(req),
    ...(c.redis ? { redis: c.redis, nameSpace: 'camarad:rl:' } : {}),
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Camarad API',
        version: '0.1.0',
        description:
          'Errors: `{ error: { code, message, details? } }`. Authenticate with the session cookie or `Authorization: Bearer cmr_…`.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'camarad_session' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { bearer: [] }],
    },
    transform: (input) => {
      const out = jsonSchemaTransform(input)
      if (input.route.config && (input.route.config as { public?: boolean }).public)
        return { ...out, schema: { ...out.schema, security: [] } }
      return out
    },
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true })
  app.get('/api/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger())

  // Every module's routes, built and ordered by the container: the app only registers them.
  for (const routes of c.routes) await app.register(routes)

  await registerWeb(app, resolve(config.WEB_DIST_DIR))
  return app
}

/** Serves the built web app; without a build (tests, API-only), unknown paths answer the JSON 404. */
const registerWeb = async (app: FastifyInstance, dist: string) => {
  if (!existsSync(resolve(dist, 'index.html'))) return app.setNotFoundHandler(routeNotFound)
  // Brotli / gzip copies made at build time (web/vite.config.ts) are sent to browsers that accept them.
  await app.register(fastifyStatic, {
    root: dist,
    wildcard: false,
    index: false,
    maxAge: '1h',
    immutable: false,
    preCompressed: true,
  })
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/'
    if (req.method !== 'GET' || path.startsWith('/api/') || path.startsWith('/v1/')) return routeNotFound(req, reply)
    return reply
      .code(WEB_ROUTES.some((r) => r.test(path)) ? 200 : 404)
      .header('cache-control', 'no-cache')
      .sendFile('index.html')
  })
}
