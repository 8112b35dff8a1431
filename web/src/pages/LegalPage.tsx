import { useQuery } from '@tanstack/react-query'
import { api } from '../lib/api.ts'
import { formatDate } from '../lib/format.ts'
import { Markdown } from '../lib/markdown.tsx'
import { useTitle } from '../lib/use-title.ts'
import { QueryState } from '../ui/QueryState.tsx'

export type LegalDoc = 'terms' | 'privacy' | 'legal' | 'refunds' | 'dpa' | 'subprocessors' | 'cookies'
type LegalResponse = { title: string; markdown: string; updatedAt: string }

const FALLBACK_TITLES: Record<LegalDoc, string> = {
  terms: 'Terms of service',
  privacy: 'Privacy policy',
  legal: 'Legal notice',
  refunds: 'Refund policy',
  dpa: 'Data processing agreement',
  subprocessors: 'Sub-processors',
  cookies: 'Cookie notice',
}

/** The server takes the title from the first `# ` heading; drop that heading so it is not shown twice. */
const withoutTitle = (markdown: string, title: string) => {
  const lines = markdown.replace(/^\s+/, '').split('\n')
  return lines[0]?.replace(/^#\s+/, '').trim() === title.trim() && lines[0]?.startsWith('# ')
    ? lines.slice(1).join('\n')
    : markdown
}

export function LegalPage({ doc }: { doc: LegalDoc }) {
  const query = useQuery({
    queryKey: ['legal', doc],
    queryFn: ({ signal }) => api<LegalResponse>('/api/legal', { query: { doc }, signal }),
    staleTime: 5 * 60_000,
  })
  useTitle(query.data?.title ?? FALLBACK_TITLES[doc])
  return (
    <article className="mx-auto max-w-3xl px-6 py-12">
      <QueryState query={query} label="Loading document…">
        {(data) => (
          <>
            <h1 className="text-3xl font-bold tracking-tight text-slate-900">{data.title}</h1>
            <p className="mt-2 text-sm text-slate-500">Last updated {formatDate(data.updatedAt)}</p>
            <div className="mt-8">
              <Markdown source={withoutTitle(data.markdown, data.title)} />
            </div>
          </>
        )}
      </QueryState>
    </article>
  )
}
