import type { FastifyInstance, FastifyRequest } from 'fastify'
import { requestErrors } from './http.errors.ts'

/** Headers whose values the app uses as ids or keys (tenant headers, idempotency, request and SSE resume ids). */
const ID_HEADERS = ['x-workspace-id', 'x-client-id', 'idempotency-key', 'x-request-id', 'last-event-id'] as const
/** Deeper JSON than this is no request a person or a client library sends; it only costs stack and time. */
export const MAX_JSON_DEPTH = 64

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

/** A NUL byte or a lone UTF-16 surrogate: PostgreSQL refuses both in text and jsonb, and no real input holds them. */
const isMalformedText = (s: string) => s.includes('\u0000') || !s.isWellFormed()

/** The first problem in a parsed value, walked without recursion so no depth can overflow the stack. */
export const findMalformed = (value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined => {
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length) {
    const [v, depth] = stack.pop()!
    if (typeof v === 'string') {
      if (isMalformedText(v)) return 'a text value holds a NUL byte or an unpaired surrogate'
      continue
    }
    // A raw body (a file's bytes) is not text: walking its bytes as keys would cost a second per megabyte.
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) continue
    if (depth >= maxDepth) return `the value is nested deeper than ${maxDepth} levels`
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, depth + 1])
      continue
    }
    for (const [key, item] of Object.entries(v)) {
      if (isMalformedText(key)) return 'a key holds a NUL byte or an unpaired surrogate'
      stack.push([item, depth + 1])
    }
  }
  return undefined
}

const malformedHeader = (req: FastifyRequest) =>
  ID_HEADERS.find((name) => {
    const v = req.headers[name]
    return (Array.isArray(v) ? v : v === undefined ? [] : [v]).some((s) => CONTROL.test(s) || !s.isWellFormed())
  })

/**
 * One guard for every route: text the database cannot store or that no client sends (NUL bytes, lone surrogates,
 * control characters in id headers, absurdly deep JSON) is a 400 `request.invalid` here, before any route, schema or
 * query sees it. Registered as a preValidation hook, after the sign-in check, so anonymous callers still get their 401.
 */
export const registerInputGuard = (app: FastifyInstance) => {
  app.addHook('preValidation', async (req) => {
    if (!req.routeOptions.url) return
    const header = malformedHeader(req)
    if (header) throw requestErrors.invalid({ problem: `the ${header} header holds characters no id has.` })
    for (const [part, value] of [
      ['params', req.params],
      ['querystring', req.query],
      ['body', req.body],
    ] as const) {
      const problem = findMalformed(value)
      if (problem)
        throw requestErrors.invalid({
          problem: `in the ${part}, ${problem}.`,
          issues: [{ path: part, message: problem }],
        })
    }
  })
}
