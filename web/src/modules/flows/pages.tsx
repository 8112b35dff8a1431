import { Suspense, lazy } from 'react'
import type { ComponentProps } from 'react'
import { Spinner } from '../../ui/Spinner.tsx'

// Each page is its own chunk; the canvas library (@xyflow/react) loads only with the pages that draw a graph.
const List = lazy(() => import('./FlowsPage.tsx').then((m) => ({ default: m.FlowsPage })))
const Editor = lazy(() => import('./FlowEditorPage.tsx').then((m) => ({ default: m.FlowEditorPage })))
const Run = lazy(() => import('./RunPage.tsx').then((m) => ({ default: m.RunPage })))
const Console = lazy(() => import('./RunConsole.tsx').then((m) => ({ default: m.RunConsole })))

export function FlowsPage() {
  return (
    <Suspense fallback={<Spinner label="Loading flows…" />}>
      <List />
    </Suspense>
  )
}

export function FlowEditorPage() {
  return (
    <Suspense fallback={<Spinner label="Loading the canvas…" />}>
      <Editor />
    </Suspense>
  )
}

export function FlowRunPage() {
  return (
    <Suspense fallback={<Spinner label="Loading the run…" />}>
      <Run />
    </Suspense>
  )
}

/** A flow run's live console (step events as they happen), for any page that starts or shows a run. */
export function FlowRunConsole(props: ComponentProps<typeof Console>) {
  return (
    <Suspense fallback={<Spinner label="Loading the console…" />}>
      <Console {...props} />
    </Suspense>
  )
}
