import { Suspense, lazy } from 'react'
import { Spinner } from '../../ui/Spinner.tsx'

// Its own chunk: the numbers page (and its dialogs) loads with the page.
const Numbers = lazy(() => import('./NumbersPage.tsx').then((m) => ({ default: m.NumbersPage })))

export function NumbersPage() {
  return (
    <Suspense fallback={<Spinner label="Loading numbers…" />}>
      <Numbers />
    </Suspense>
  )
}
