import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import pretty from 'pino-pretty'

/** How logs are written: JSON lines, or readable and coloured for a person at a terminal (`auto`: a TTY gets those). */
export type LogFormat = 'auto' | 'pretty' | 'json'

/** One readable line per entry: time, level, message; a request line as `GET /path → 200 in 3.1 ms`. */
export const prettyStream = (colorize = true, destination?: NodeJS.WritableStream) =>
  pretty({
    colorize,
    ...(destination ? { destination } : {}),
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,reqId,method,route,path,status,ms,workspaceId',
    messageFormat: '{msg}{if method} {method} {path} → {status} in {ms} ms{end}',
    singleLine: true,
    sync: true,
  })

const wantsPretty = (format: LogFormat) => format === 'pretty' || (format === 'auto' && Boolean(process.stdout.isTTY))

/** Pino options for Fastify: request ids on every line; cookies, tokens and passwords never written. */
export const loggerOptions = (
  level: string,
  stream?: { write(line: string): void },
  format: LogFormat = 'json',
): FastifyServerOptions['logger'] => ({
  level,
  ...(stream ? { stream } : wantsPretty(format) ? { stream: prettyStream() } : {}),
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

/** Path parameters that are credentials: never written, whatever the route. */
const SECRET_PARAMS = /^(secret|token)$/i

/**
 * The path as a log may show it: parameters that are credentials (a webhook's secret, an invitation token) replaced,
 * and no query string (OAuth codes and states, reset links). The route pattern says the rest.
 */
export const loggablePath = (req: FastifyRequest) => {
  const path = req.url.split('?')[0] ?? '/'
  const params = (req.params ?? {}) as Record<string, unknown>
  let out = path
  for (const [name, value] of Object.entries(params))
    if (SECRET_PARAMS.test(name) && typeof value === 'string' && value)
      out = out.split(encodeURIComponent(value)).join('[redacted]').split(value).join('[redacted]')
  return out.replace(/(\/api\/invitations\/)[^/]+/, '$1[redacted]')
}

/**
 * One line per request, when its response is sent: request id (bound to the logger), method, route pattern, path,
 * status, duration and — once the scope resolved it — the workspace. Paths no route and no page answers (scanners,
 * bots probing `/wp-login.php`) are logged at debug, so they do not bury the real traffic.
 */
export const logRequest = (req: FastifyRequest, reply: FastifyReply) => {
  const route = req.routeOptions.url
  const line = {
    method: req.method,
    route: route ?? null,
    path: loggablePath(req),
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 10) / 10,
    ...(req.workspaceId ? { workspaceId: req.workspaceId } : {}),
  }
  // A 5xx's error is logged with its stack by the error handler; this line is the request's record.
  if (!route && reply.statusCode >= 400) req.log.debug(line, 'unknown path')
  else req.log.info(line, 'request')
}
