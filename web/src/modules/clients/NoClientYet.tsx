import type { ReactNode } from 'react'
import { Link } from 'react-router'
import { EmptyState } from '../../ui/EmptyState.tsx'

/** What a page about the current client shows while the workspace has none: `children` says why it needs one. */
export function NoClientYet({ children }: { children: ReactNode }) {
  return (
    <EmptyState
      title="No client yet"
      action={
        <Link to="/app/clients" className="font-medium text-indigo-700 hover:underline">
          Go to clients
        </Link>
      }
    >
      {children}
    </EmptyState>
  )
}
