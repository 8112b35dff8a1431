import { afterAll, describe, expect, it } from 'vitest'
import { createExpressionPool } from '../expressions/pool.ts'
import { Match, whatsappTriggerSpec } from '../nodes/whatsapp.ts'
import { createWhatsAppTrigger, matchesWithoutRegex, type WhatsAppMessage } from './whatsapp.ts'

const message = (text: string | null, over: Partial<WhatsAppMessage> = {}): WhatsAppMessage => ({
  workspaceId: 'ws_1',
  clientId: 'cl_1',
  channelId: 'ch_a',
  threadId: 'th_1',
  message: { id: 'im_1', type: 'text', text, at: '2026-12-07T10:00:00.000Z' },
  contact: { id: 'ic_1', waId: '40700000000', name: 'Ana', phone: null },
  firstFromContact: false,
  ...over,
})
const config = (c: Record<string, unknown>) => whatsappTriggerSpec.config.parse(c)

describe('the WhatsApp trigger filters', () => {
  it('matches any message without filters, and only its number when it names one', () => {
    expect(matchesWithoutRegex(config({}), message(null))).toBe(true)
    expect(matchesWithoutRegex(config({ channelId: 'ch_a' }), message('hi'))).toBe(true)
    expect(matchesWithoutRegex(config({ channelId: 'ch_b' }), message('hi'))).toBe(false)
  })

  it('compares text case-insensitively unless asked, equals on trimmed text, and never matches no text', () => {
    const contains = config({ match: { kind: 'contains', value: 'PREȚ' } })
    expect(matchesWithoutRegex(contains, message('Care e prețul?'))).toBe(true)
    expect(matchesWithoutRegex(contains, message(null))).toBe(false)
    const exact = config({ match: { kind: 'equals', value: 'Stop', caseSensitive: true } })
    expect(matchesWithoutRegex(exact, message('  Stop '))).toBe(true)
    expect(matchesWithoutRegex(exact, message('stop'))).toBe(false)
    expect(matchesWithoutRegex(config({ match: { kind: 'regex', value: 'x' } }), message('x'))).toBe('regex')
  })

  it('keeps a new-contact trigger for the first message of a contact', () => {
    expect(matchesWithoutRegex(config({ newContact: true }), message('hi'))).toBe(false)
    expect(matchesWithoutRegex(config({ newContact: true }), message('hi', { firstFromContact: true }))).toBe(true)
  })

  it('refuses a pattern that does not compile, or that is too long', () => {
    expect(Match.safeParse({ kind: 'regex', value: '(a' }).success).toBe(false)
    expect(Match.safeParse({ kind: 'regex', value: '[(]' }).success).toBe(false)
    expect(Match.safeParse({ kind: 'contains', value: 'x'.repeat(201) }).success).toBe(false)
    expect(Match.safeParse({ kind: 'regex', value: 'a/b\\d+' }).success).toBe(true)
  })
})

describe('patterns in the sandbox', () => {
  const pool = createExpressionPool({ size: 1, hardTimeoutMs: 300 })
  afterAll(() => pool.close())
  const logged: string[] = []
  const opened: string[] = []
  const trigger = createWhatsAppTrigger({
    engine: {
      open: async (input) => {
        opened.push(input.flowId)
        return { runId: `run_${input.flowId}`, existing: false }
      },
      kick: () => undefined,
    },
    queue: {} as never,
    evaluate: pool.evaluate,
    log: (m) => logged.push(m),
  })
  const start = (pattern: string, text: string) =>
    trigger.startRuns({
      workspaceId: 'ws_1',
      clientId: 'cl_1',
      input: {
        message: { id: 'im_1', type: 'text', text, at: '2026-12-07T10:00:00.000Z' },
        contact: { id: 'ic_1', waId: '1', name: null, phone: null },
        thread: { id: 'th_1' },
        channel: { id: 'ch_a' },
      },
      flows: [{ flowId: 'fl_1', versionId: 'fv_1', publisher: 'us_1', regex: { pattern, caseSensitive: false } }],
    })

  it('starts the flow when the pattern matches (slashes included), not when it does not', async () => {
    expect(await start('^comanda\\s+\\d+$', 'Comanda 42')).toEqual(['run_fl_1'])
    expect(await start('a/b', 'xa/by')).toEqual(['run_fl_1'])
    expect(await start('^comanda\\s+\\d+$', 'comanda x')).toEqual([])
  })

  it('counts a catastrophic pattern as no match, stopped at the deadline', async () => {
    expect(await start('(a+)+$', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!')).toEqual([])
    expect(logged.some((m) => m.includes('(a+)+$'))).toBe(true)
  })
})
