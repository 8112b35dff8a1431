import {
  context,
  createContextKey,
  INVALID_SPAN_CONTEXT,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api'

/**
 * OpenTelemetry traces (issue 17 §3). The SDK is loaded (lazily, `await import`) and registered only when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set; otherwise `@opentelemetry/api` stays a no-op and the helpers below skip
 * their work. The SDK is process-global: start and stop are idempotent.
 */
export const tracer = trace.getTracer('camarad')

type Sdk = { shutdown(): Promise<void> }
let sdk: Sdk | undefined
let starting: Promise<void> | undefined

export type TracingConfig = { OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined; OTEL_SERVICE_NAME?: string | undefined }

/** Whether this process exports traces (the SDK started). */
export const isTracing = () => sdk !== undefined

/**
 * Starts the SDK with an OTLP/HTTP (JSON) exporter to `<endpoint>/v1/traces` when the endpoint is set; answers whether
 * tracing is on. Call before the container is built, so the database and the HTTP app see it.
 */
export const startTracing = async (config: TracingConfig, defaultServiceName: string): Promise<boolean> => {
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT
  if (!endpoint) return false
  if (sdk) return true
  starting ??= (async () => {
    const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
    ])
    const started = new NodeSDK({
      serviceName: config.OTEL_SERVICE_NAME ?? defaultServiceName,
      traceExporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }),
      // Traces only: metrics are Prometheus' (/metrics), logs are pino's.
      metricReaders: [],
      logRecordProcessors: [],
      instrumentations: [],
    })
    started.start()
    sdk = started
  })().finally(() => {
    starting = undefined
  })
  await starting
  return true
}

/** Exports every span ended so far (tests; a shutdown flushes by itself). */
export const flushTracing = async () => {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown }
  const delegate = provider.getDelegate?.() as { forceFlush?: () => Promise<void> } | undefined
  await delegate?.forceFlush?.()
}

/** Flushes and shuts the SDK down, and unregisters it so a later start works again (idempotent). */
export const stopTracing = async () => {
  const running = sdk
  if (!running) return
  sdk = undefined
  await running.shutdown()
  trace.disable()
  context.disable()
  propagation.disable()
}

const REQUEST_ID = createContextKey('camarad.request_id')

/** The context with a request id that every span started under it carries (`camarad.request_id`). */
export const withRequestId = (ctx: Context, requestId: string) => ctx.setValue(REQUEST_ID, requestId)

/** The request id of the active context (an HTTP request's id, a job's or a run's), if any. */
export const activeRequestId = () => context.active().getValue(REQUEST_ID) as string | undefined

const NOOP_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT)

/** Marks a span failed with the error's message (and its code, when it has one). */
export const failSpan = (span: Span, err: unknown) => {
  const message = err instanceof Error ? err.message : String(err)
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') span.setAttribute('error.type', code)
  span.setStatus({ code: SpanStatusCode.ERROR, message })
}

/**
 * Runs `fn` inside a new active span (children nest under it), ended when `fn` settles and failed when it throws.
 * `requestId` names what the span and its children belong to (a job's or run's id); otherwise the active one is kept.
 * Without tracing it just runs `fn`.
 */
export const withSpan = <T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: { requestId?: string; kind?: SpanKind } = {},
): Promise<T> => {
  if (!sdk) return fn(NOOP_SPAN)
  const requestId = options.requestId ?? activeRequestId()
  const parent = options.requestId ? withRequestId(context.active(), options.requestId) : context.active()
  return tracer.startActiveSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: requestId ? { ...attributes, 'camarad.request_id': requestId } : attributes,
    },
    parent,
    async (span) => {
      try {
        return await fn(span)
      } catch (err) {
        failSpan(span, err)
        throw err
      } finally {
        span.end()
      }
    },
  )
}

/**
 * A span started now and ended later by the caller (a metered model call spans from its hold to its settle), not made
 * active. Without tracing it is a no-op span.
 */
export const startSpan = (name: string, attributes: Attributes, kind: SpanKind = SpanKind.INTERNAL): Span => {
  if (!sdk) return NOOP_SPAN
  const requestId = attributes['camarad.request_id'] === undefined ? activeRequestId() : undefined
  return tracer.startSpan(
    name,
    { kind, attributes: requestId ? { ...attributes, 'camarad.request_id': requestId } : attributes },
    context.active(),
  )
}
