import type { ReactNode } from 'react'
import { ApiError, errorMessage } from '../lib/api.ts'
import { Alert } from './Alert.tsx'
import { Button } from './Button.tsx'
import { Skeleton } from './Skeleton.tsx'

type QueryLike<T> = {
  data: T | undefined
  isPending: boolean
  isError: boolean
  error: unknown
  refetch: () => unknown
}

/** Renders loading (a skeleton of the content) and error states for a query, then `children(data)` once it has data. */
export function QueryState<T>({
  query,
  label,
  skeleton = 'list',
  children,
}: {
  query: QueryLike<T>
  label?: string
  /** The shape shown while loading: rows for a list, tiles for a dashboard's figures. */
  skeleton?: 'list' | 'tiles'
  children: (data: T) => ReactNode
}) {
  if (query.isPending) return <Skeleton label={label ?? 'Loading…'} variant={skeleton} />
  if (query.isError || query.data === undefined) {
    const final =
      query.error instanceof ApiError &&
      query.error.status >= 400 &&
      query.error.status < 500 &&
      query.error.status !== 429
    return <QueryError error={query.error} onRetry={final ? undefined : () => query.refetch()} />
  }
  return <>{children(query.data)}</>
}

export function QueryError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <Alert tone="error" title="Could not load this">
      <p>{errorMessage(error)}</p>
      {onRetry && (
        <Button variant="secondary" className="mt-3" onClick={onRetry}>
          Try again
        </Button>
      )}
    </Alert>
  )
}
