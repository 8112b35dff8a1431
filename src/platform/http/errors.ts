/** A failure with a stable dotted code (`tenancy.client_not_found`); the HTTP edge picks the status. */
export class AppError extends Error {
  readonly code: string
  readonly status: number
  readonly details?: unknown
  readonly headers?: Record<string, string>
  constructor(
    status: number,
    code: string,
    message: string,
    options: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message)
    this.status = status
    this.code = code
    this.details = options.details
    this.headers = options.headers
  }
}

/**
 * One module's error codes, in one table: `defineErrors('chat', { run_in_progress: { status: 409, message: '…' } })`
 * gives `chatErrors.run_in_progress()` → AppError 409 `chat.run_in_progress`. A message (or details, or headers) that
 * names values is a function of one typed params object, and the constructor takes that object. `when` says, for
 * docs/errors.md, when a code whose message is built from params happens. An entry may set `code` (the part after
 * the namespace) when two entries give one API code with different statuses; the key stays the constructor's name.
 */
export type ErrorSpec<P> = {
  status: number
  code?: string
  details?: (p: P) => unknown
  headers?: (p: P) => Record<string, string> | undefined
} & ({ message: string; when?: string } | { message: (p: P) => string; when: string })

/** What docs/errors.md and the uniqueness test read from a table. */
export type ErrorEntry = { name: string; code: string; status: number; message?: string; when?: string }

type Described = { readonly [ENTRIES]: { namespace: string; entries: ErrorEntry[] } }

export type ErrorTable<P extends Record<string, unknown>> = {
  readonly [K in keyof P]: unknown extends P[K] ? () => AppError : (p: P[K]) => AppError
} & Described

const ENTRIES = Symbol('errors.entries')

export const defineErrors = <P extends Record<string, unknown>>(
  namespace: string,
  specs: { [K in keyof P]: ErrorSpec<P[K]> },
): ErrorTable<P> => {
  const table: Record<string, (p: never) => AppError> = {}
  const entries: ErrorEntry[] = []
  for (const [name, spec] of Object.entries(specs) as [string, ErrorSpec<unknown>][]) {
    const code = namespace ? `${namespace}.${spec.code ?? name}` : (spec.code ?? name)
    table[name] = (p: unknown) => {
      const message = typeof spec.message === 'string' ? spec.message : spec.message(p)
      return new AppError(spec.status, code, message, { details: spec.details?.(p), headers: spec.headers?.(p) })
    }
    entries.push({
      name,
      code,
      status: spec.status,
      ...(typeof spec.message === 'string' ? { message: spec.message } : {}),
      ...(spec.when ? { when: spec.when } : {}),
    })
  }
  return Object.assign(table, { [ENTRIES]: { namespace, entries } }) as unknown as ErrorTable<P>
}

/** The entries of a table, for docs/errors.md and its tests. */
export const errorEntries = (table: Described) => table[ENTRIES]

/** Lists, for docs/errors.md, the codes of an AppError subclass that builds its own (EgressError). */
export const documentErrors = (namespace: string, entries: ErrorEntry[]): Described => ({
  [ENTRIES]: { namespace, entries },
})
