import { context, SpanKind, trace, type Span } from '@opentelemetry/api'
import type { CompiledQuery, DatabaseConnection, Dialect, Driver } from 'kysely'
import { activeRequestId, failSpan, tracer } from '../observability/tracing.ts'

const MAX_SQL = 500

/**
 * A span per query (`db.query`): the compiled SQL text (placeholders, never the parameter values) cut to 500
 * characters, its operation, the active request id — a child of the active span, and none without one. Wrapped at the
 * driver, so both PGlite and PostgreSQL, Kysely's builders and raw statements are seen the same way; BEGIN/COMMIT are not
 * spans.
 */
const querySpan = (query: CompiledQuery): Span | undefined => {
  // Only inside a traced operation (a request, a flow step, a send): pollers and boot-time queries would each be a trace.
  if (!trace.getSpan(context.active())?.isRecording()) return undefined
  const text = query.sql.trimStart()
  const operation = /^[a-z]+/i.exec(text)?.[0]?.toUpperCase() ?? 'QUERY'
  const requestId = activeRequestId()
  return tracer.startSpan(
    'db.query',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.operation.name': operation,
        'db.query.text': text.length > MAX_SQL ? text.slice(0, MAX_SQL) : text,
        ...(requestId ? { 'camarad.request_id': requestId } : {}),
      },
    },
    context.active(),
  )
}

const inners = new WeakMap<DatabaseConnection, DatabaseConnection>()
const unwrap = (connection: DatabaseConnection) => inners.get(connection) ?? connection

const traceConnection = (inner: DatabaseConnection): DatabaseConnection => {
  const traced: DatabaseConnection = {
    async executeQuery(query, options) {
      const span = querySpan(query)
      if (!span) return inner.executeQuery(query, options)
      try {
        return await inner.executeQuery(query, options)
      } catch (err) {
        failSpan(span, err)
        throw err
      } finally {
        span.end()
      }
    },
    async *streamQuery(query, chunkSize, options) {
      const span = querySpan(query)
      try {
        yield* inner.streamQuery(query, chunkSize, options)
      } catch (err) {
        if (span) failSpan(span, err)
        throw err
      } finally {
        span?.end()
      }
    },
    ...(inner.cancelQuery ? { cancelQuery: inner.cancelQuery.bind(inner) } : {}),
    ...(inner.killSession ? { killSession: inner.killSession.bind(inner) } : {}),
    ...(inner.collectSessionInfo ? { collectSessionInfo: inner.collectSessionInfo.bind(inner) } : {}),
  }
  inners.set(traced, inner)
  return traced
}

const traceDriver = (inner: Driver): Driver => ({
  init: (options) => inner.init(options),
  acquireConnection: async (options) => traceConnection(await inner.acquireConnection(options)),
  beginTransaction: (c, settings) => inner.beginTransaction(unwrap(c), settings),
  commitTransaction: (c) => inner.commitTransaction(unwrap(c)),
  rollbackTransaction: (c) => inner.rollbackTransaction(unwrap(c)),
  ...(inner.savepoint ? { savepoint: (c, name, compile) => inner.savepoint!(unwrap(c), name, compile) } : {}),
  ...(inner.rollbackToSavepoint
    ? { rollbackToSavepoint: (c, name, compile) => inner.rollbackToSavepoint!(unwrap(c), name, compile) }
    : {}),
  ...(inner.releaseSavepoint
    ? { releaseSavepoint: (c, name, compile) => inner.releaseSavepoint!(unwrap(c), name, compile) }
    : {}),
  releaseConnection: (c, options) => inner.releaseConnection(unwrap(c), options),
  destroy: (options) => inner.destroy(options),
})

/** The dialect with its driver's queries traced (used only while tracing is on: otherwise the dialect is untouched). */
export const tracedDialect = (dialect: Dialect): Dialect => ({
  createDriver: () => traceDriver(dialect.createDriver()),
  createQueryCompiler: () => dialect.createQueryCompiler(),
  createAdapter: () => dialect.createAdapter(),
  createIntrospector: (db) => dialect.createIntrospector(db),
})
