import { Suspense, lazy } from 'react'
import { Spinner } from '../../ui/Spinner.tsx'

// Its own chunk: the inbox loads with its page.
const Inbox = lazy(() => import('./InboxPage.tsx').then((m) => ({ default: m.InboxPage })))

export function InboxPage() {
  return (
    <Suspense fallback={<Spinner label="Loading the inbox…" />}>
      <Inbox />
    </Suspense>
  )
}
