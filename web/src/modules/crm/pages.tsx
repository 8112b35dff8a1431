import { Suspense, lazy } from 'react'
import type { ComponentType } from 'react'
import { Spinner } from '../../ui/Spinner.tsx'

// The CRM's pages load in their own chunk, with the first of them opened.
const chunk = () => import('./chunk.ts')
const lazyPage = (pick: (m: Awaited<ReturnType<typeof chunk>>) => ComponentType) => {
  const Page = lazy(() => chunk().then((m) => ({ default: pick(m) })))
  return function CrmPage() {
    return (
      <Suspense fallback={<Spinner label="Loading the CRM…" />}>
        <Page />
      </Suspense>
    )
  }
}

export const ContactsPage = lazyPage((m) => m.ContactsPage)
export const ContactPage = lazyPage((m) => m.ContactPage)
export const DealsPage = lazyPage((m) => m.DealsPage)
export const BookingsPage = lazyPage((m) => m.BookingsPage)
export const CampaignsPage = lazyPage((m) => m.CampaignsPage)
export const CampaignPage = lazyPage((m) => m.CampaignPage)
export const NewCampaignPage = lazyPage((m) => m.NewCampaignPage)
export const ImportsPage = lazyPage((m) => m.ImportsPage)
export const ImportWizardPage = lazyPage((m) => m.ImportWizardPage)
export const ImportProgressPage = lazyPage((m) => m.ImportProgressPage)
