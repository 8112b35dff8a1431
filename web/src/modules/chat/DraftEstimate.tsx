import { keepPreviousData, useQuery } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { Link } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { USAGE_PATH } from '../../../../contracts/app-paths.ts'
import { ApiError } from '../../lib/api.ts'
import { useDebounced } from '../../lib/use-debounced.ts'
import { estimate } from '../credits/index.ts'
import { formatCredits } from '../../lib/credits.ts'

export const UPGRADE_PATH = USAGE_PATH

type Props = { id: string; clientId: string; conversationId: string; modelId: string | undefined; text: string }

/**
 * What the draft may cost at most, asked again once typing pauses: "≈ 0.42 credits max", "Free — offline model"
 * or "Billed to your own provider key"; a warning when it is more than the workspace has left.
 */
export function DraftEstimate({ id, clientId, conversationId, modelId, text }: Props) {
  const { workspace } = useWorkspace()
  const draft = useDebounced(text.trim(), 500)
  const query = useQuery({
    queryKey: ['credits', workspace.id, 'estimate', clientId, conversationId, modelId ?? '', draft],
    queryFn: ({ signal }) =>
      estimate(clientId, { content: draft, conversationId, ...(modelId ? { modelId } : {}) }, signal),
    enabled: draft.length > 0,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
    retry: false,
  })
  let content: ReactNode
  const e = query.data
  if (!text.trim() || !draft) content = null
  else if (query.isError) {
    // A server without estimates (404) says nothing; anything else says it could not tell.
    content =
      query.error instanceof ApiError && query.error.status === 404 ? null : (
        <span className="text-slate-500">Cost estimate unavailable</span>
      )
  } else if (!e) content = <span className="text-slate-500">Estimating the cost…</span>
  else if (e.offline)
    content = (
      <span data-testid="draft-estimate" className="text-slate-600">
        Free — offline model
      </span>
    )
  else if (e.billedBy === 'workspace')
    content = (
      <span data-testid="draft-estimate" className="text-slate-600">
        Billed to your own provider key
      </span>
    )
  else {
    content = (
      <span data-testid="draft-estimate" className={e.sufficient ? 'text-slate-600' : 'text-red-700'}>
        ≈ {formatCredits(e.estimate)} credits max
        {!e.sufficient && (
          <>
            {' '}
            — only {formatCredits(e.available)} available.{' '}
            <Link to={UPGRADE_PATH} className="font-medium underline">
              Get more credits
            </Link>
          </>
        )}
      </span>
    )
  }
  return (
    <p id={id} aria-live="polite" className="mt-1.5 min-h-5 text-xs tabular-nums">
      {content}
    </p>
  )
}
