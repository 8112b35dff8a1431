import type { FastifyInstance } from 'fastify'
import helmet from '@fastify/helmet'
import cors from '@fastify/cors'
import { authErrors } from './http.errors.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Helmet, CORS allowlist and the CSRF rule: a cookie-authenticated change must come from an allowed origin. */
export const registerSecurity = async (
  app: FastifyInstance,
  options: { publicUrl: string; corsOrigins: string[]; isProduction: boolean },
) => {
  const allowedOrigins = new Set([
    new URL(options.publicUrl).origin,
    ...options.corsOrigins.map((o) => new URL(o).origin),
  ])
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
    hsts: options.isProduction ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginEmbedderPolicy: false,
  })
  await app.register(cors, {
    origin: (origin, cb) => cb(null, !origin || allowedOrigins.has(origin)),
    credentials: true,
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowedHeaders: [
      'content-type',
      'authorization',
      'x-workspace-id',
      'x-client-id',
      'x-request-id',
      'idempotency-key',
    ],
    exposedHeaders: ['retry-after', 'x-request-id'],
  })
  app.addHook('preHandler', async (req) => {
    if (SAFE_METHODS.has(req.method) || req.auth?.via !== 'session') return
    const origin = req.headers.origin ?? refererOrigin(req.headers.referer)
    // `Origin: null` (sandboxed frames, data: URLs) and anything unparseable count as foreign.
    const sameHost = Boolean(req.headers.host) && hostOf(origin) === req.headers.host
    if (!origin || !(allowedOrigins.has(origin) || sameHost)) throw authErrors.csrf()
  })
}

const hostOf = (origin?: string) => {
  try {
    return origin ? new URL(origin).host : undefined
  } catch {
    return undefined
  }
}

const refererOrigin = (referer?: string) => {
  if (!referer) return undefined
  try {
    return new URL(referer).origin
  } catch {
    return undefined
  }
}
