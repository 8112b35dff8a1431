import { readdirSync, readFileSync } from 'node:fs'
import { z } from 'zod'
import { FlowGraph, type GraphIssue, TemplateDto } from '../../../contracts/flows.ts'
import { validateGraph, type GraphCheckOptions } from './graph.ts'
import type { NodeRegistry } from './registry.ts'

/**
 * The template gallery: ready-made flows in `templates/*.json`, read and validated once at start-up. A template that
 * does not validate against the registry stops the server with its id and issues (a broken gallery is a bug of ours,
 * never something a user should meet on instantiate).
 */

export const TEMPLATES_DIR = new URL('./templates/', import.meta.url)

/** A template id: lower-case words joined by dashes (not one of our `prefix_random` row ids). */
export const TemplateId = z.string().regex(/^[a-z0-9-]{3,60}$/)

const TemplateFile = z.strictObject({
  id: TemplateId,
  name: z.string().trim().min(1).max(80),
  description: z.string().trim().min(1).max(500),
  tags: z.array(z.string().regex(/^[a-z0-9-]{2,30}$/)).max(30),
  graph: FlowGraph,
})

export class TemplateError extends Error {}

const describeIssues = (issues: GraphIssue[]) =>
  issues.map((i) => `${i.nodeId ?? '(graph)'}${i.path.length ? ` [${i.path.join('.')}]` : ''}: ${i.message}`).join('; ')

/** Reads the template files (sorted by file name, the gallery's order) without validating their graphs. */
export const readTemplateFiles = (dir: URL = TEMPLATES_DIR): { file: string; data: unknown }[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      try {
        return { file, data: JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as unknown }
      } catch (err) {
        throw new TemplateError(`flows: template file ${file} is not JSON: ${(err as Error).message}`)
      }
    })

/**
 * Parses and validates every template: shape, id equal to the file name, unique ids, and a graph that passes
 * `validateGraph` (expressions included when `checkExpression` is given). Throws a `TemplateError` naming the template.
 */
export const loadTemplates = (registry: NodeRegistry, opts: GraphCheckOptions & { dir?: URL } = {}): TemplateDto[] => {
  const seen = new Set<string>()
  return readTemplateFiles(opts.dir).map(({ file, data }) => {
    const parsed = TemplateFile.safeParse(data)
    if (!parsed.success)
      throw new TemplateError(`flows: template file ${file} is malformed: ${z.prettifyError(parsed.error)}`)
    const t = parsed.data
    if (`${t.id}.json` !== file) throw new TemplateError(`flows: template ${t.id} must be in ${t.id}.json, not ${file}`)
    if (seen.has(t.id)) throw new TemplateError(`flows: template id ${t.id} is used twice`)
    seen.add(t.id)
    const issues = validateGraph(registry, t.graph, opts)
    if (issues.length) throw new TemplateError(`flows: template ${t.id} is not a valid flow: ${describeIssues(issues)}`)
    return t
  })
}

const WORD = /[\p{L}\p{N}]+/gu
/** Words of a text, lower-cased, with a trailing plural/verb `s` dropped ("reports" → "report"). */
const words = (text: string) =>
  (text.toLowerCase().match(WORD) ?? []).map((w) =>
    w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w,
  )
/** Words too common to say anything about which flow is meant. */
const STOP = new Set(
  [
    'a an and are as at be by do for from get i in into is it me my new of on or our send that the their them then',
    'this to us we when with you your flow automation automate want need please',
  ]
    .join(' ')
    .split(' '),
)

/**
 * How well a prompt matches a template: each distinct prompt word scores 3 in the tags, 2 in the name, 1 in the
 * description (its best place only). Deterministic: the same prompt always gives the same scores.
 */
export const matchScore = (template: TemplateDto, prompt: string) => {
  const tags = new Set(template.tags.flatMap((t) => words(t.replace(/-/g, ' '))))
  const name = new Set(words(template.name))
  const description = new Set(words(template.description))
  let score = 0
  for (const w of new Set(words(prompt))) {
    if (STOP.has(w)) continue
    score += tags.has(w) ? 3 : name.has(w) ? 2 : description.has(w) ? 1 : 0
  }
  return score
}

/** The gallery: the validated templates in file order, looked up by id, and the best match for a prompt. */
export const createTemplateGallery = (registry: NodeRegistry, opts: GraphCheckOptions & { dir?: URL } = {}) => {
  const templates = loadTemplates(registry, opts)
  const byId = new Map(templates.map((t) => [t.id, t]))
  return {
    listTemplates: (): TemplateDto[] => templates.map((t) => structuredClone(t)),
    /** A copy (a caller may change it freely), or undefined for an unknown id. */
    getTemplate: (id: string): TemplateDto | undefined => {
      const t = byId.get(id)
      return t && structuredClone(t)
    },
    /** The template that best matches the prompt's words; ties (and no match at all) go to the earlier template. */
    bestMatch: (prompt: string): TemplateDto => {
      let best = templates[0]!
      let bestScore = -1
      for (const t of templates) {
        const s = matchScore(t, prompt)
        if (s > bestScore) [best, bestScore] = [t, s]
      }
      return structuredClone(best)
    },
  }
}
export type TemplateGallery = ReturnType<typeof createTemplateGallery>
