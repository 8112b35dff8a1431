import type { FastifyServerOptions } from 'fastify'

/** Pino options for Fastify: request ids on every line; cookies, tokens and passwords never written. */
export const loggerOptions = (
  level: string,
  stream?: { write(line: string): void },
): FastifyServerOptions['logger'] => ({
  level,
  ...(stream ? { stream } : {}),
  redact: {
    paths: [
      'req.headers.cookie',
      'req.headers.authorization',
      'req.headers["x-internal-token"]',
      'res.headers["set-cookie"]',
      '*.password',
      '*.newPassword',
      '*.currentPassword',
      '*.token',
      '*.secret',
      'body.password',
      'body.token',
    ],
    censor: '[redacted]',
  },
  serializers: {
    req: (req: { method: string; url: string; headers: Record<string, unknown>; ip?: string }) => ({
      method: req.method,
      url: req.url.replace(/(\/api\/invitations\/)[^/?]+/, '$1[redacted]'),
      headers: req.headers,
      ip: req.ip,
    }),
  },
})
