import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One span as an OTLP/HTTP JSON export carries it, its attributes flattened to plain values. */
export type CollectedSpan = {
  traceId: string
  spanId: string
  parentSpanId: string | undefined
  name: string
  kind: number
  status: number
  service: string | undefined
  attributes: Record<string, string | number | boolean>
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean }
type KeyValue = { key: string; value: AnyValue }
type ExportRequest = {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] }
    scopeSpans?: {
      spans?: {
        traceId: string
        spanId: string
        parentSpanId?: string
        name: string
        kind?: number
        status?: { code?: number }
        attributes?: KeyValue[]
      }[]
    }[]
  }[]
}

const valueOf = (v: AnyValue) =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue ?? ''
const flatten = (kvs: KeyValue[] = []) => Object.fromEntries(kvs.map((kv) => [kv.key, valueOf(kv.value)]))

/**
 * A loopback OTLP/HTTP collector: `POST /v1/traces` with the JSON encoding (what `@opentelemetry/exporter-trace-otlp-http`
 * sends), answered `{}` as a collector does; any other path or content type is refused. It keeps every span received.
 */
export const startOtlpCollector = async () => {
  const spans: CollectedSpan[] = []
  const refused: string[] = []
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !req.headers['content-type']?.includes('json')) {
        refused.push(`${req.method} ${req.url} ${req.headers['content-type']}`)
        res.writeHead(415, { 'content-type': 'application/json' }).end('{}')
        return
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest
      for (const rs of body.resourceSpans ?? []) {
        const service = flatten(rs.resource?.attributes)['service.name']
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              kind: s.kind ?? 0,
              status: s.status?.code ?? 0,
              service: typeof service === 'string' ? service : undefined,
              attributes: flatten(s.attributes),
            })
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    refused,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  }
}
