import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { createTestContext, type TestContext } from './harness.ts'

/**
 * deploy/ (issue 17 §2): every dashboard panel and alert rule names only metrics the code exports, every alert has its
 * runbook, and the compose file runs the whole stack. Nothing is pulled or started: the files are read and checked.
 */
const root = join(import.meta.dirname, '..')
const read = (path: string) => readFileSync(join(root, path), 'utf8')

type Panel = { title: string; targets?: { expr: string }[]; panels?: Panel[] }
type Rule = { alert: string; expr: string; annotations: Record<string, string>; labels?: Record<string, string> }

const dashboards = readdirSync(join(root, 'deploy/grafana/dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({
    file,
    json: JSON.parse(read(`deploy/grafana/dashboards/${file}`)) as { uid: string; panels: Panel[] },
  }))
const panelsOf = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...panelsOf(p.panels ?? [])])
const rules = (parse(read('deploy/prometheus/alerts.yml')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (g) => g.rules,
)

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
])
/**
 * The metric names a PromQL expression reads: what is left once strings, label matchers, ranges, grouping clauses,
 * function calls and numbers are taken out.
 */
const metricsIn = (expr: string) => {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
  // Whole identifiers (not the tail of a number or a duration) not followed by `(` (a function or an aggregation).
  return [...stripped.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*/g)]
    .filter((m) => !/^\s*\(/.test(stripped.slice(m.index + m[0].length)))
    .map((m) => m[0])
    .filter((name, i, all) => !KEYWORDS.has(name.toLowerCase()) && all.indexOf(name) === i)
}

let ctx: TestContext
let exported: Map<string, string>
beforeAll(async () => {
  ctx = await createTestContext()
  // Every metric the container registers, by name and type: labelled series that have not happened yet count too.
  exported = new Map(
    (await ctx.container.metrics.registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)] as [string, string]),
  )
})
afterAll(async () => {
  await ctx?.close()
})

/** A name is exported as is, or as a histogram's / summary's `_bucket`, `_sum` or `_count` series. */
const isExported = (name: string) => {
  if (exported.has(name)) return true
  const base = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1]
  return base !== undefined && ['histogram', 'summary'].includes(exported.get(base) ?? '')
}

describe('metric names in PromQL', () => {
  it('are read out of an expression without functions, labels, ranges or grouping', () => {
    expect(
      metricsIn(
        'histogram_quantile(0.95, sum by (le, route) (rate(camarad_http_request_duration_seconds_bucket{status=~"5.."}[5m])))' +
          ' / on (x) max without (instance) (camarad_queue_jobs offset 5m) > 2e3',
      ),
    ).toEqual(['camarad_http_request_duration_seconds_bucket', 'camarad_queue_jobs'])
  })
})

describe('the SLO page (docs/runbooks/slos.md)', () => {
  it('measures each objective with PromQL that reads only metrics the code exports', () => {
    const blocks = [...read('docs/runbooks/slos.md').matchAll(/```promql\n([\s\S]*?)```/g)].map((m) => m[1]!)
    expect(blocks.length).toBeGreaterThanOrEqual(3)
    for (const block of blocks) {
      // One expression per paragraph; comments out.
      const exprs = block
        .replace(/#.*$/gm, '')
        .split(/\n\s*\n/)
        .map((e) => e.trim())
        .filter(Boolean)
      for (const expr of exprs)
        for (const name of metricsIn(expr)) expect(isExported(name), `slos.md reads ${name}`).toBe(true)
    }
  })
})

describe('Grafana dashboards', () => {
  it('ship the overview, AI spend, flows and WhatsApp dashboards with unique ids', () => {
    expect(dashboards.map((d) => d.file).sort()).toEqual([
      'ai-spend.json',
      'flows.json',
      'overview.json',
      'whatsapp.json',
    ])
    expect(new Set(dashboards.map((d) => d.json.uid)).size).toBe(dashboards.length)
  })

  it('query only metrics the code exports, in every panel', () => {
    for (const { file, json } of dashboards) {
      const panels = panelsOf(json.panels)
      expect(panels.length, file).toBeGreaterThan(0)
      for (const panel of panels) {
        expect(panel.targets?.length, `${file}: ${panel.title} has no query`).toBeGreaterThan(0)
        for (const { expr } of panel.targets ?? []) {
          const names = metricsIn(expr)
          expect(names.length, `${file}: ${panel.title}: ${expr}`).toBeGreaterThan(0)
          for (const name of names) expect(isExported(name), `${file}: ${panel.title} reads ${name}`).toBe(true)
        }
      }
    }
  })

  it('are provisioned from the folder compose mounts, on the Prometheus data source', () => {
    const provider = parse(read('deploy/grafana/provisioning/dashboards/camarad.yaml')) as {
      providers: { options: { path: string } }[]
    }
    const datasource = parse(read('deploy/grafana/provisioning/datasources/prometheus.yaml')) as {
      datasources: { uid: string; url: string }[]
    }
    const grafana = composeFile().services.grafana!
    expect(grafana.volumes).toContain(`./grafana/dashboards:${provider.providers[0]!.options.path}:ro`)
    expect(grafana.volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro')
    expect(datasource.datasources[0]).toMatchObject({ uid: 'prometheus', url: 'http://prometheus:9090' })
  })
})

describe('Prometheus alert rules', () => {
  const expected = [
    'CamaradMarginLow',
    'CamaradOutboxBacklog',
    'CamaradWhatsAppSessionsDown',
    'CamaradDeadLetterGrowth',
    'CamaradHttp5xxRate',
    'CamaradJobAge',
  ]

  it('cover margin, outbox backlog, sessions down, dead letters, 5xx rate and job age', () => {
    expect(rules.map((r) => r.alert)).toEqual(expected)
  })

  it('read only metrics the code exports', () => {
    for (const rule of rules) {
      const names = metricsIn(rule.expr)
      expect(names.length, rule.alert).toBeGreaterThan(0)
      for (const name of names) expect(isExported(name), `${rule.alert} reads ${name}`).toBe(true)
    }
  })

  it('each say what happened and link a runbook page that exists', () => {
    for (const rule of rules) {
      expect(rule.annotations.summary, rule.alert).toBeTruthy()
      expect(rule.annotations.description, rule.alert).toBeTruthy()
      expect(rule.labels?.severity, rule.alert).toMatch(/^(warning|critical)$/)
      const runbook = rule.annotations.runbook_url!
      expect(runbook, rule.alert).toMatch(/^docs\/runbooks\/[a-z0-9-]+\.md$/)
      expect(existsSync(join(root, runbook)), `${rule.alert}: ${runbook}`).toBe(true)
      for (const part of ['What it means', 'How to check', 'How to fix'])
        expect(read(runbook), `${runbook}: ${part}`).toContain(`**${part}.**`)
    }
  })

  it('are loaded by the Prometheus config, which scrapes the API and the worker with the operator token', () => {
    const prom = parse(read('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[]
      scrape_configs: {
        job_name: string
        authorization: { credentials_file: string }
        static_configs: { targets: string[] }[]
      }[]
    }
    expect(prom.rule_files).toEqual(['/etc/prometheus/alerts.yml'])
    expect(prom.scrape_configs.map((s) => s.static_configs[0]!.targets[0])).toEqual(['api:3000', 'worker:9464'])
    const worker = composeFile().services.worker!
    expect(worker.environment?.METRICS_PORT).toBe('9464')
    for (const s of prom.scrape_configs) expect(s.authorization.credentials_file).toBe('/prometheus/internal_token')
    expect(composeFile().services.prometheus!.entrypoint!.join(' ')).toContain('> /prometheus/internal_token')
  })
})

type Service = {
  image?: string
  build?: unknown
  command?: string[]
  entrypoint?: string[]
  environment?: Record<string, string>
  volumes?: string[]
}
const composeFile = () => parse(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, Service> }

describe('compose', () => {
  it('runs Camarad (API and worker, built from the Dockerfile), PostgreSQL, Redis, Prometheus and Grafana', () => {
    const { services } = composeFile()
    expect(Object.keys(services).sort()).toEqual(['api', 'grafana', 'postgres', 'prometheus', 'redis', 'worker'])
    expect(services.api!.command).toEqual(['node', 'src/main.ts'])
    expect(services.worker!.command).toEqual(['node', 'src/worker.ts'])
    expect(services.api!.build).toEqual({ context: '..', dockerfile: 'Dockerfile' })
    expect(services.api!.environment?.RUN_WORKER).toBe('false')
    expect(services.postgres!.image).toBe('postgres:15')
    expect(services.redis!.image).toBe('redis:7')
    expect(services.prometheus!.image).toBe('prom/prometheus')
    expect(services.grafana!.image).toBe('grafana/grafana')
    expect(read('Dockerfile')).toMatch(/^FROM node:24-slim/m)
  })
})
