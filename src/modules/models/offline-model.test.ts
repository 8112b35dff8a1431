import { generateText, streamText } from 'ai'
import type { LanguageModelV4StreamPart } from '@ai-sdk/provider'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { OFFLINE_NOTICE } from './offline-answer.ts'
import { createOfflineModel } from './offline-model.ts'

const model = createOfflineModel({ chunkDelayMs: 0 })
const system = 'You are the PPC Specialist of Acme Agency. Answer from the account data.'
const prompt = 'Why did our cost per conversion jump last week?'

const read = async (
  stream: ReadableStream<LanguageModelV4StreamPart>,
  onPart: (p: LanguageModelV4StreamPart) => void = () => {},
) => {
  const parts: LanguageModelV4StreamPart[] = []
  for await (const part of stream) {
    parts.push(part)
    onPart(part)
  }
  return parts
}

describe('the offline model', () => {
  it('gives the same answer to the same prompt', async () => {
    const first = await generateText({ model, system, prompt })
    const second = await generateText({ model, system, prompt })

    expect(second.text).toBe(first.text)
  })

  it('labels the answer as offline on its first line', async () => {
    const { text } = await generateText({ model, prompt: 'Hello' })

    expect(text.split('\n')[0]).toBe(OFFLINE_NOTICE)
  })

  it('restates the question and answers in the role found in the system message', async () => {
    const { text } = await generateText({ model, system, prompt })

    expect(text).toContain('**PPC Specialist**')
    expect(text).toContain(`> ${prompt}`)
    expect(text).toMatch(/negative keywords/)
  })

  it('picks next steps by the kind of role, from a "Role:" line too', async () => {
    const { text } = await generateText({
      model,
      system: 'Role: SEO & Content Strategist\nClient: Acme',
      prompt: 'Which pages should we update?',
    })

    expect(text).toContain('**SEO & Content Strategist**')
    expect(text).toContain('Search Console')
  })

  it('streams the answer in several word-sized chunks that add up to the generated text', async () => {
    const streamed = streamText({ model, system, prompt })
    const deltas: string[] = []
    for await (const part of streamed.fullStream) if (part.type === 'text-delta') deltas.push(part.text)

    expect(deltas.length).toBeGreaterThan(20)
    expect(deltas.join('')).toBe((await generateText({ model, system, prompt })).text)
  })

  it('reports input and output tokens and a stop finish reason', async () => {
    const streamed = streamText({ model, system, prompt })

    const usage = await streamed.totalUsage
    expect(usage.inputTokens).toBeGreaterThan(0)
    expect(usage.outputTokens).toBeGreaterThan(0)
    expect(await streamed.finishReason).toBe('stop')
  })

  it('stops at maxOutputTokens and says so with a length finish reason', async () => {
    const result = await generateText({ model, prompt, maxOutputTokens: 12 })

    expect(result.finishReason).toBe('length')
    expect(result.usage.outputTokens).toBeLessThanOrEqual(12)
    expect(result.text.length).toBeGreaterThan(0)
  })

  it('stops emitting when the caller aborts and still ends the stream with its usage', async () => {
    const abort = new AbortController()
    const slow = createOfflineModel({ chunkDelayMs: 5 })
    const { stream } = await slow.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
      abortSignal: abort.signal,
    })

    let deltas = 0
    const parts = await read(stream, (p) => {
      if (p.type === 'text-delta' && ++deltas === 3) abort.abort()
    })

    expect(deltas).toBe(3)
    expect(parts.at(-1)).toMatchObject({
      type: 'finish',
      finishReason: { unified: 'other' },
      usage: { outputTokens: { total: expect.any(Number) } },
    })
  })

  it('ignores tools and never calls the network', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch')
    const result = await generateText({
      model,
      prompt,
      tools: { lookup: { description: 'Look something up', inputSchema: z.object({ q: z.string() }) } },
    })

    expect(result.toolCalls).toEqual([])
    expect(result.text).toContain(OFFLINE_NOTICE)
    expect(fetchSpy).not.toHaveBeenCalled()
    fetchSpy.mockRestore()
  })
})
