import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import jsonata from 'jsonata'
import { describe, expect, it } from 'vitest'
import { createNodeRegistry, type NodeType } from './registry.ts'
import { CORE_SPECS } from './nodes/specs.ts'
import { adsReportSpec, analyticsReportSpec } from './nodes/google.ts'
import { boardroomMeetingSpec, DEFAULT_MEETING_AGENTS } from './nodes/boardroom.ts'
import { createTemplateGallery, loadTemplates, matchScore, readTemplateFiles, TemplateError } from './templates.ts'

/**
 * The node types as validation sees them: their specs (executors are the engine's, not needed here) — the core ones and
 * those the container connects (Ads and Analytics reports, Boardroom).
 */
const registry = createNodeRegistry()
registry.register(
  ...[...CORE_SPECS, adsReportSpec, analyticsReportSpec, boardroomMeetingSpec].map((s): NodeType => ({
    ...s,
    execute: () => Promise.reject(new Error('not run in this test')),
  })),
)
/** A JSONata parse check (what the expression pool's `check` does, on the main thread). */
const checkExpression = (source: string) => {
  try {
    jsonata(source)
    return null
  } catch (err) {
    return (err as Error).message
  }
}

const dirWith = (files: Record<string, unknown>) => {
  const dir = mkdtempSync(join(tmpdir(), 'flow-templates-'))
  for (const [name, data] of Object.entries(files))
    writeFileSync(join(dir, name), typeof data === 'string' ? data : JSON.stringify(data))
  return pathToFileURL(`${dir}/`)
}

describe('flow templates', () => {
  const templates = loadTemplates(registry, { checkExpression })

  it('there are at least six, every one validates against the core node types (expressions parse), ids are unique', () => {
    expect(templates.length).toBeGreaterThanOrEqual(6)
    expect(readTemplateFiles().length).toBe(templates.length)
    expect(new Set(templates.map((t) => t.id)).size).toBe(templates.length)
    for (const t of templates) expect(t.id).toMatch(/^[a-z0-9-]{3,60}$/)
  })

  it('each has a trigger first on the left, readable short node ids and a left-to-right layout', () => {
    for (const t of templates) {
      const trigger = t.graph.nodes.find((n) => registry.get(n.type)?.kind === 'trigger')!
      expect(trigger.position, t.id).toEqual({ x: 0, y: 0 })
      for (const n of t.graph.nodes) {
        expect(n.id, t.id).toMatch(/^[a-z][a-z0-9-]{1,15}$/)
        expect(Math.abs(n.position.x % 260), `${t.id}/${n.id}`).toBe(0)
        expect(Math.abs(n.position.y % 120), `${t.id}/${n.id}`).toBe(0)
      }
      for (const e of t.graph.edges) {
        const from = t.graph.nodes.find((n) => n.id === e.from)!
        const to = t.graph.nodes.find((n) => n.id === e.to)!
        expect(to.position.x, `${t.id}: ${e.from} → ${e.to}`).toBeGreaterThan(from.position.x)
      }
    }
  })

  it('covers the gallery the issue asks for (lead qualify, weekly report, form enrich, support triage, loop, uptime)', () => {
    const types = (id: string) => templates.find((t) => t.id === id)!.graph.nodes.map((n) => n.type)
    expect(types('lead-qualify')).toEqual(['core.webhook', 'core.ai', 'core.condition', 'core.send-email', 'core.http'])
    expect(types('weekly-client-report')).toEqual(['core.schedule', 'core.http', 'core.ai', 'core.send-email'])
    expect(types('form-enrich-notify')).toEqual(['core.webhook', 'core.http', 'core.send-email'])
    expect(types('support-triage')).toContain('core.respond-to-webhook')
    expect(templates.find((t) => t.id === 'support-triage')!.graph.nodes[0]!.config).toMatchObject({
      respond: 'respond-node',
    })
    expect(types('items-digest')).toContain('core.loop')
    expect(types('uptime-check')).toEqual([
      'core.schedule',
      'core.http',
      'core.condition',
      'core.send-email',
      'core.send-email',
    ])
    const weekly = templates.find((t) => t.id === 'weekly-client-report')!.graph.nodes[0]!.config
    expect(weekly).toEqual({ cron: '0 8 * * 1', timezone: 'Europe/Bucharest' })
  })

  it('the Growth War Room reads Ads and GA4 (going on when either fails), meets on the figures and outputs decisions', async () => {
    const t = templates.find((x) => x.id === 'growth-war-room')!
    const node = (id: string) => t.graph.nodes.find((n) => n.id === id)!
    expect(t.graph.nodes.map((n) => n.type)).toEqual([
      'core.manual',
      'google.ads-report',
      'google.analytics-report',
      'core.merge',
      'core.set',
      'boardroom.meeting',
      'core.set',
    ])
    for (const source of ['ads', 'ga4']) {
      expect(node(source).config).toMatchObject({ preset: 'last_7_days', compare: true })
      // Both ports reach the merge: a failed source's error goes on as its figures.
      const ports = t.graph.edges.filter((e) => e.from === source && e.to === 'figures').map((e) => e.fromPort)
      expect(ports.sort()).toEqual(['error', 'out'])
    }
    expect(node('meeting').config).toMatchObject({ agentIds: DEFAULT_MEETING_AGENTS, topic: { $expr: '$.brief' } })

    const fields = node('brief').config.fields as Record<string, { $expr: string }>
    const ads = {
      range: { from: '2026-11-26', to: '2026-12-02' },
      totals: { cost: '812.40', cpa: '40.62' },
      previous: { range: { from: '2026-11-19', to: '2026-11-25' }, totals: { cost: '640.00', cpa: '29.09' } },
    }
    const failed = { error: { code: 'connectors.quota', message: 'Google refused: quota.' } }
    const figures = { 'Ads report': ads, 'Analytics report': failed }
    const brief = (await jsonata(fields.brief!.$expr).evaluate(figures)) as string
    expect(brief).toContain('Google Ads, 2026-11-26 to 2026-12-02: {"cost":"812.40","cpa":"40.62"}')
    expect(brief).toContain('previous period 2026-11-19 to 2026-11-25: {"cost":"640.00","cpa":"29.09"}')
    expect(brief).toContain('Google Analytics (GA4) failed: Google refused: quota.')
    expect(brief).toContain('Not available: Analytics report failed')
    expect(await jsonata(fields.failedSources!.$expr).evaluate(figures)).toEqual([
      'Analytics report failed: Google refused: quota.',
    ])
    const both = { 'Ads report': ads, 'Analytics report': { ...ads, previous: null } }
    expect(await jsonata(fields.brief!.$expr).evaluate(both)).not.toContain('Not available')
  })

  it('a template that does not validate stops the start-up with its id and issues', () => {
    const broken = structuredClone(templates.find((t) => t.id === 'lead-qualify')!)
    broken.id = 'broken-one'
    broken.graph.nodes[2]!.config = { if: { $expr: '$json.score >=' } }
    broken.graph.edges.push({ from: 'crm', fromPort: 'out', to: 'nowhere', toPort: 'in' })
    const dir = dirWith({ 'broken-one.json': broken })
    expect(() => loadTemplates(registry, { checkExpression, dir })).toThrow(TemplateError)
    expect(() => loadTemplates(registry, { checkExpression, dir })).toThrow(
      /template broken-one .*hot \[config.if\]: Expression/,
    )
    expect(() => loadTemplates(registry, { checkExpression, dir })).toThrow(/nowhere/)
    // Without the expression check the dangling edge alone still stops it.
    expect(() => loadTemplates(registry, { dir })).toThrow(/broken-one/)
  })

  it('refuses a malformed file, a file named after another id, and an id used twice', () => {
    const ok = templates[0]!
    expect(() => loadTemplates(registry, { dir: dirWith({ 'bad.json': '{ nope' }) })).toThrow(/bad.json is not JSON/)
    expect(() => loadTemplates(registry, { dir: dirWith({ 'x-y.json': { ...ok, id: 'x-y', tags: 'a' } }) })).toThrow(
      /x-y.json is malformed/,
    )
    expect(() => loadTemplates(registry, { dir: dirWith({ 'other.json': ok }) })).toThrow(/must be in/)
    expect(() => loadTemplates(registry, { dir: dirWith({ 'Bad Id.json': { ...ok, id: 'Bad Id' } }) })).toThrow(
      /malformed/,
    )
  })

  it('the gallery hands out copies and matches prompts deterministically by keywords', () => {
    const gallery = createTemplateGallery(registry, { checkExpression })
    const copy = gallery.getTemplate('lead-qualify')!
    copy.graph.nodes = []
    expect(gallery.getTemplate('lead-qualify')!.graph.nodes.length).toBe(5)
    expect(gallery.getTemplate('nope')).toBeUndefined()
    expect(gallery.listTemplates().map((t) => t.id)).toEqual(templates.map((t) => t.id))

    expect(gallery.bestMatch('Send a weekly report to my client every Monday').id).toBe('weekly-client-report')
    expect(gallery.bestMatch('weekly report').id).toBe('weekly-client-report')
    expect(gallery.bestMatch('Qualify new leads from our landing page and route hot ones to sales').id).toBe(
      'lead-qualify',
    )
    expect(gallery.bestMatch('Alert me when the website is down').id).toBe('uptime-check')
    expect(gallery.bestMatch('Triage support tickets and reply to customers').id).toBe('support-triage')
    expect(gallery.bestMatch('When someone fills the contact form, enrich the company and notify me').id).toBe(
      'form-enrich-notify',
    )
    expect(gallery.bestMatch('Summarise each review in a list and email a digest').id).toBe('items-digest')
    // No word matches: the first template, every time.
    expect(gallery.bestMatch('zzz qqq').id).toBe(templates[0]!.id)
    expect(matchScore(templates[0]!, 'the and of')).toBe(0)
  })
})
