/** The subset of JSON Schema that zod 4's `z.toJSONSchema(…, { io: 'input' })` emits for node configs. */
export type JsonSchema = {
  type?: string | string[]
  title?: string
  description?: string
  default?: unknown
  enum?: unknown[]
  const?: unknown
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: JsonSchema | boolean
  items?: JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  format?: string
  $ref?: string
  $defs?: Record<string, JsonSchema>
}

/** Follows a local `$ref` (`#/$defs/Name`) against the root schema. */
export const resolve = (schema: JsonSchema | undefined, root: JsonSchema): JsonSchema => {
  let s = schema ?? {}
  for (let i = 0; i < 10 && s.$ref; i++) {
    const name = s.$ref.replace(/^#\/(\$defs|definitions)\//, '')
    s = root.$defs?.[name] ?? {}
  }
  return s
}

/** `{ type: object, properties: { $expr: string }, required: [$expr] }`: the expression branch of a field. */
export const isExprSchema = (s: JsonSchema) =>
  s.type === 'object' && !!s.properties?.$expr && Object.keys(s.properties).length === 1

export const isExpr = (v: unknown): v is { $expr: string } =>
  !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { $expr?: unknown }).$expr === 'string'

export type FieldKind =
  | { kind: 'expr'; literal: JsonSchema }
  | { kind: 'nullable'; inner: JsonSchema }
  | { kind: 'variants'; variants: JsonSchema[]; tag: string }
  | { kind: 'enum'; options: unknown[] }
  | { kind: 'scalar' }
  | { kind: 'string' | 'number' | 'integer' | 'boolean' }
  | { kind: 'object'; schema: JsonSchema }
  | { kind: 'record'; value: JsonSchema }
  | { kind: 'array'; items: JsonSchema }
  | { kind: 'json' }

/** The property every variant fixes with a `const`: the tag a select picks the variant by. */
const tagOf = (variants: JsonSchema[], root: JsonSchema) => {
  const first = resolve(variants[0], root)
  for (const key of Object.keys(first.properties ?? {})) {
    if (variants.every((v) => resolve(v, root).properties?.[key]?.const !== undefined)) return key
  }
  return null
}

const SCALARS = ['string', 'number', 'integer', 'boolean', 'null']

/** A scalar typed as text: numbers, `true`/`false` and `null` are read as such, anything else is a string. */
export const parseScalar = (text: string): unknown => {
  const t = text.trim()
  if (t === 'true') return true
  if (t === 'false') return false
  if (t === 'null') return null
  if (t !== '' && Number.isFinite(Number(t))) return Number(t)
  return text
}

/** How a field with this schema is edited. */
export const classify = (raw: JsonSchema, root: JsonSchema): FieldKind => {
  const s = resolve(raw, root)
  const union = s.anyOf ?? s.oneOf
  if (union) {
    const branches = union.map((b) => resolve(b, root))
    const expr = branches.findIndex(isExprSchema)
    if (expr >= 0 && branches.length === 2) return { kind: 'expr', literal: branches[1 - expr]! }
    const nonNull = branches.filter((b) => b.type !== 'null')
    if (nonNull.length === 1 && branches.length === 2) return { kind: 'nullable', inner: nonNull[0]! }
    if (branches.every((b) => b.const !== undefined)) return { kind: 'enum', options: branches.map((b) => b.const) }
    if (
      branches.every((b) => typeof b.type === 'string' && SCALARS.includes(b.type) && !b.enum && b.const === undefined)
    )
      return { kind: 'scalar' }
    if (branches.every((b) => b.type === 'object')) {
      const tag = tagOf(branches, root)
      if (tag) return { kind: 'variants', variants: branches, tag }
    }
    return { kind: 'json' }
  }
  if (Array.isArray(s.type)) {
    // zod writes a union of plain types as `type: [...]` ("string | null" → ['string', 'null']).
    const nonNull = s.type.filter((t) => t !== 'null')
    if (nonNull.length === 1 && s.type.length === 2) return { kind: 'nullable', inner: { ...s, type: nonNull[0] } }
    if (s.type.every((t) => SCALARS.includes(t))) return { kind: 'scalar' }
    return { kind: 'json' }
  }
  if (s.enum) return { kind: 'enum', options: s.enum }
  if (s.const !== undefined) return { kind: 'enum', options: [s.const] }
  switch (s.type) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
      return { kind: s.type }
    case 'object':
      if (s.properties) return { kind: 'object', schema: s }
      if (s.additionalProperties && typeof s.additionalProperties === 'object')
        return { kind: 'record', value: s.additionalProperties }
      return { kind: 'json' }
    case 'array':
      return s.items ? { kind: 'array', items: s.items } : { kind: 'json' }
    default:
      return { kind: 'json' }
  }
}

const ACRONYMS: Record<string, string> = { url: 'URL', id: 'ID', http: 'HTTP', hmac: 'HMAC', ai: 'AI', json: 'JSON' }

/** "maxTokens" → "Max tokens", "to_address" → "To address", "url" → "URL", "credentialId" → "Credential ID". */
export const humanize = (name: string) => {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/\b[a-z]+\b/g, (w) => ACRONYMS[w] ?? w)
    .replace(/ ms$/, ' (ms)')
  return words ? words[0]!.toUpperCase() + words.slice(1) : name
}

/** An empty value for a new array item or a newly picked variant. */
export const emptyValue = (raw: JsonSchema, root: JsonSchema): unknown => {
  const s = resolve(raw, root)
  if (s.default !== undefined) return structuredClone(s.default)
  const k = classify(s, root)
  switch (k.kind) {
    case 'expr':
      return emptyValue(k.literal, root)
    case 'string':
      return ''
    case 'boolean':
      return false
    case 'enum':
      return k.options[0]
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const key of k.schema.required ?? []) out[key] = emptyValue(k.schema.properties?.[key] ?? {}, root)
      return out
    }
    case 'variants':
      return emptyValue(k.variants[0]!, root)
    case 'array':
      return []
    case 'record':
      return {}
    default:
      return undefined
  }
}

/** A config issue's path as a field key: `['config', 'headers', 0]` and `['headers', 0]` both give `headers.0`. */
export const issueKey = (path: (string | number)[]) => (path[0] === 'config' ? path.slice(1) : path).join('.')
