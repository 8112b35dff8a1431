import { SpanStatusCode } from '@opentelemetry/api'
import { failSpan, isTracing, startSpan } from '../../platform/observability/tracing.ts'
import type { Handle } from '../../platform/db/database.ts'
import type { ModelCallCharge, ModelCallRecord, NormalizedUsage } from '../models/models.module.ts'
import type { MeterInput } from './metering.ts'

type CompleteInput = {
  usage: NormalizedUsage
  free: boolean
  agentId: string | null
  within: (trx: Handle, charge: ModelCallCharge | null) => Promise<ModelCallRecord['status']>
}
type Call = {
  replay: boolean
  price(usage: NormalizedUsage | null): unknown
  settle(...args: never[]): Promise<unknown>
  complete(c: never): Promise<unknown>
}

/**
 * A metered model call as a span (`model.call`), from its hold to its settle: provider, model, surface, the tokens it
 * was priced on and how it ended (`refused` when the plan gate, a throttle or the balance said no). Every AI surface
 * goes through `metering.begin`, so this is the one place that sees them all.
 */
export const traceMeteredCall = async <C extends Call>(input: MeterInput, begin: () => Promise<C>): Promise<C> => {
  if (!isTracing()) return begin()
  const span = startSpan('model.call', {
    'gen_ai.provider.name': input.entry.provider,
    'gen_ai.request.model': input.entry.id,
    'camarad.surface': input.surface,
    'camarad.request_id': input.requestId,
    'camarad.workspace_id': input.workspaceId,
    'camarad.billed_by': input.billedBy,
  })
  let call: C
  try {
    call = await begin()
  } catch (err) {
    span.setAttribute('camarad.outcome', 'refused')
    failSpan(span, err)
    span.end()
    throw err
  }
  if (call.replay) span.setAttribute('camarad.replay', true)
  const tokens = (usage: NormalizedUsage) =>
    span.setAttributes({
      'gen_ai.usage.input_tokens': usage.inputTokens,
      'gen_ai.usage.output_tokens': usage.outputTokens,
    })
  let ended = false
  const end = (outcome: string, err?: unknown) => {
    if (ended) return
    ended = true
    span.setAttribute('camarad.outcome', outcome)
    if (err !== undefined) failSpan(span, err)
    else if (outcome === 'failed') span.setStatus({ code: SpanStatusCode.ERROR })
    span.end()
  }
  const settled = async <T>(outcome: () => string, run: () => Promise<T>) => {
    try {
      const out = await run()
      end(outcome())
      return out
    } catch (err) {
      end('error', err)
      throw err
    }
  }
  const complete = (c: CompleteInput) => {
    let status: ModelCallRecord['status'] = 'failed'
    tokens(c.usage)
    return settled(
      () => status,
      () =>
        call.complete({
          ...c,
          within: async (trx: Handle, charge: ModelCallCharge | null) => (status = await c.within(trx, charge)),
        } as never),
    )
  }
  return {
    ...call,
    price: (usage: NormalizedUsage | null) => {
      if (usage) tokens(usage)
      return call.price(usage)
    },
    // A call settled without a charge failed before the provider produced anything.
    settle: (...args: never[]) =>
      settled(
        () => (args[0] ? 'complete' : 'failed'),
        () => call.settle(...args),
      ),
    complete,
  } as C
}
