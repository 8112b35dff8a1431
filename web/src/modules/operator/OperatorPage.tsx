import { useQueryClient } from '@tanstack/react-query'
import { useMemo, useState } from 'react'
import type { FormEvent } from 'react'
import { Link, useSearchParams } from 'react-router'
import { ApiError, errorMessage } from '../../lib/api.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input } from '../../ui/Input.tsx'
import { Tabs } from '../../ui/Tabs.tsx'
import { TOKEN_KEY, createOperatorApi, operatorApi, operatorKeys } from './api.ts'
import { CalibrationTab } from './CalibrationTab.tsx'
import { DisputesTab } from './DisputesTab.tsx'
import { EmailsTab } from './EmailsTab.tsx'
import { PricesTab } from './PricesTab.tsx'
import { RatesTab } from './RatesTab.tsx'
import { ReconciliationTab } from './ReconciliationTab.tsx'
import { StripeTab } from './StripeTab.tsx'
import { TelemetryTab } from './TelemetryTab.tsx'

const TABS = [
  { key: 'prices', label: 'Prices' },
  { key: 'rates', label: 'Credit rates' },
  { key: 'telemetry', label: 'Cost telemetry' },
  { key: 'calibration', label: 'Calibration' },
  { key: 'reconciliation', label: 'Reconciliation' },
  { key: 'stripe', label: 'Stripe' },
  { key: 'disputes', label: 'Disputes' },
  { key: 'emails', label: 'Emails' },
] as const
type TabKey = (typeof TABS)[number]['key']

const readToken = () => {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}
const writeToken = (value: string | null) => {
  try {
    if (value === null) window.sessionStorage.removeItem(TOKEN_KEY)
    else window.sessionStorage.setItem(TOKEN_KEY, value)
  } catch {
    /* private mode: the token lives only in memory */
  }
}

/** Asks for the INTERNAL_TOKEN and checks it against the API before keeping it for this tab. */
function TokenForm({ onToken }: { onToken: (token: string) => void }) {
  const [value, setValue] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const token = value.trim()
    if (!token) return setError('Paste the operator token (INTERNAL_TOKEN).')
    setPending(true)
    try {
      await operatorApi(token, '/api/operator/credit-rates')
      setError(null)
      onToken(token)
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'This token was refused. Check INTERNAL_TOKEN on the server.'
          : errorMessage(err),
      )
    } finally {
      setPending(false)
    }
  }
  return (
    <Card
      title="Operator token"
      description="The INTERNAL_TOKEN of this installation. It is kept in this browser tab only and forgotten when the tab closes."
    >
      <form onSubmit={submit} noValidate className="flex flex-col gap-3 sm:flex-row sm:items-start">
        <Field label="Token" error={error} className="flex-1">
          {(p) => (
            <Input {...p} type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} />
          )}
        </Field>
        <Button type="submit" className="sm:mt-6" pending={pending}>
          Unlock
        </Button>
      </form>
    </Card>
  )
}

/** /operator: prices, credit rates, cost telemetry, calibration, reconciliation, Stripe events and disputes (X-Internal-Token). */
export function OperatorPage() {
  useTitle('Operator')
  const qc = useQueryClient()
  const [token, setToken] = useState<string | null>(readToken)
  const [params, setParams] = useSearchParams()
  const tab: TabKey = TABS.find((t) => t.key === params.get('tab'))?.key ?? 'prices'
  const api = useMemo(() => (token ? createOperatorApi(token) : null), [token])
  const unlock = (t: string) => {
    writeToken(t)
    setToken(t)
  }
  const lock = () => {
    writeToken(null)
    setToken(null)
    qc.removeQueries({ queryKey: operatorKeys.all })
  }
  return (
    <div className="flex min-h-screen flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl items-center justify-between gap-4 px-6 py-4">
          <p className="text-xl font-bold tracking-tight text-indigo-700">
            <Link to="/">Camarad</Link> <span className="font-medium text-slate-600">operator</span>
          </p>
          {token && (
            <Button variant="secondary" onClick={lock}>
              Forget token
            </Button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto w-full max-w-6xl flex-1 px-6 py-8">
        <PageHeader
          title="Operator"
          description="Model prices, the credit rate, what calls really cost, reconciliation with provider invoices, Stripe events, and disputes to decide."
        />
        {!api ? (
          <TokenForm onToken={unlock} />
        ) : (
          <Tabs
            label="Operator sections"
            tabs={[...TABS]}
            current={tab}
            onSelect={(k) => setParams(k === 'prices' ? {} : { tab: k }, { replace: true })}
          >
            {tab === 'prices' && <PricesTab api={api} />}
            {tab === 'rates' && <RatesTab api={api} />}
            {tab === 'telemetry' && <TelemetryTab api={api} />}
            {tab === 'calibration' && <CalibrationTab api={api} />}
            {tab === 'reconciliation' && <ReconciliationTab api={api} />}
            {tab === 'stripe' && <StripeTab api={api} />}
            {tab === 'disputes' && <DisputesTab api={api} />}
            {tab === 'emails' && <EmailsTab api={api} />}
          </Tabs>
        )}
        {api && <Alert className="mt-8">Changes here apply to every workspace on this installation.</Alert>}
      </main>
    </div>
  )
}
