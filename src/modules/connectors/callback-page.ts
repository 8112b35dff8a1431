import type { FastifyReply } from 'fastify'

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * The page a person lands on when a Google consent cannot be completed: what happened and where to go, readable
 * without the web app (no script: the CSP forbids inline code anyway), never cached.
 */
export const failurePage = (
  reply: FastifyReply,
  status: number,
  problem: { title: string; detail: string; back: string; code: string },
) =>
  reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(
      '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
        '<meta name="viewport" content="width=device-width, initial-scale=1">' +
        `<title>${escape(problem.title)} · Camarad</title>` +
        '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2937}' +
        'a{color:#2563eb}code{color:#6b7280;font-size:.85em}</style></head><body><main>' +
        `<h1>${escape(problem.title)}</h1><p>${escape(problem.detail)}</p>` +
        `<p><a href="${escape(problem.back)}">Back to Camarad</a></p>` +
        `<p><code>${escape(problem.code)}</code></p></main></body></html>`,
    )
