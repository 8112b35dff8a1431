import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { notifyError } from '../../lib/error-toast.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { Field } from '../../ui/Field.tsx'
import { Select } from '../../ui/Input.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { connectorKeys, listAdsAccounts, listProperties, pickAdsAccount, pickProperty, type Connection } from './api.ts'
import { useFollowStatus } from './ReportState.tsx'

/** What the reports read: the Google Ads account (a manager's child through that manager) and the GA4 property. */

/** 1234567890 → 123-456-7890, as Google Ads shows customer ids. */
const customerLabel = (id: string) => (/^\d{10}$/.test(id) ? `${id.slice(0, 3)}-${id.slice(3, 6)}-${id.slice(6)}` : id)
export function SourcesCard({
  clientId,
  connection,
  admin,
}: {
  clientId: string
  connection: Connection
  admin: boolean
}) {
  return (
    <Card title="What to read" description="The Google Ads account and the GA4 property this client’s reports read.">
      <div className="grid gap-6 md:grid-cols-2">
        <AdsAccountPicker clientId={clientId} connection={connection} admin={admin} />
        <PropertyPicker clientId={clientId} connection={connection} admin={admin} />
      </div>
    </Card>
  )
}

const accountValue = (a: { customerId: string; loginCustomerId: string | null }) =>
  `${a.customerId}|${a.loginCustomerId ?? ''}`

function AdsAccountPicker({
  clientId,
  connection,
  admin,
}: {
  clientId: string
  connection: Connection
  admin: boolean
}) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const current = connection.ads ? accountValue(connection.ads) : ''
  const [value, setValue] = useState(current)
  const query = useQuery({
    queryKey: connectorKeys.adsAccounts(clientId, connection.id),
    queryFn: ({ signal }) => listAdsAccounts(clientId, connection.id, signal),
    enabled: admin,
    staleTime: 60_000,
  })
  useFollowStatus(clientId, query.error)
  const save = useMutation({
    mutationFn: () => {
      const [customerId, login] = value.split('|')
      return pickAdsAccount(clientId, connection.id, { customerId: customerId!, loginCustomerId: login || null })
    },
    onSuccess: async (saved) => {
      notify(`Google Ads account “${saved.ads?.name ?? saved.ads?.customerId}” saved`)
      await qc.invalidateQueries({ queryKey: connectorKeys.all(clientId) })
    },
    onError: (e) => notifyError(notify, e),
  })
  const picked = connection.ads ? (
    <p className="text-sm text-slate-900">
      {connection.ads.name ?? 'Unnamed account'}{' '}
      <span className="text-slate-500">
        {customerLabel(connection.ads.customerId)}
        {connection.ads.loginCustomerId && <> via manager {customerLabel(connection.ads.loginCustomerId)}</>}
      </span>
    </p>
  ) : (
    <p className="text-sm text-slate-600">No account picked yet.</p>
  )
  if (!admin)
    return (
      <section aria-label="Google Ads account" className="space-y-1">
        <h3 className="text-sm font-medium text-slate-800">Google Ads account</h3>
        {picked}
      </section>
    )
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (value && value !== current) save.mutate()
  }
  return (
    <form onSubmit={submit} className="space-y-2">
      <QueryState query={query} label="Loading Google Ads accounts…">
        {(data) =>
          data.items.length === 0 ? (
            <Alert title="No Google Ads account">This Google login reaches no Google Ads account.</Alert>
          ) : (
            <>
              <Field
                label="Google Ads account"
                hint="Managers (MCC) list their accounts beneath them; a manager itself has no figures."
              >
                {(p) => (
                  <Select {...p} value={value} onChange={(e) => setValue(e.target.value)}>
                    {!current && <option value="">Pick an account…</option>}
                    {data.items.map((a) => (
                      <option key={accountValue(a)} value={accountValue(a)} disabled={a.manager}>
                        {'\u00a0\u00a0\u00a0\u00a0'.repeat(a.level)}
                        {a.level > 0 ? '└ ' : ''}
                        {a.name ?? 'Unnamed'} · {customerLabel(a.customerId)}
                        {a.manager ? ' · manager' : a.currency ? ` · ${a.currency}` : ''}
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
              {data.unavailable.length > 0 && (
                <p className="text-xs text-slate-500">
                  Not listed: {data.unavailable.map((u) => `${customerLabel(u.customerId)} (${u.message})`).join('; ')}
                </p>
              )}
              <div className="flex flex-wrap items-center gap-3">
                <Button
                  type="submit"
                  variant="secondary"
                  pending={save.isPending}
                  disabled={!value || value === current}
                >
                  Use this account
                </Button>
                {connection.ads && (
                  <span className="text-xs text-slate-500">
                    Now: {connection.ads.name ?? customerLabel(connection.ads.customerId)}
                  </span>
                )}
              </div>
            </>
          )
        }
      </QueryState>
    </form>
  )
}

function PropertyPicker({ clientId, connection, admin }: { clientId: string; connection: Connection; admin: boolean }) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const current = connection.analytics?.propertyId ?? ''
  const [value, setValue] = useState(current)
  const query = useQuery({
    queryKey: connectorKeys.properties(clientId, connection.id),
    queryFn: ({ signal }) => listProperties(clientId, connection.id, signal),
    enabled: admin,
    staleTime: 60_000,
  })
  useFollowStatus(clientId, query.error)
  const save = useMutation({
    mutationFn: () => pickProperty(clientId, connection.id, value),
    onSuccess: async (saved) => {
      notify(`GA4 property “${saved.analytics?.name ?? saved.analytics?.propertyId}” saved`)
      await qc.invalidateQueries({ queryKey: connectorKeys.all(clientId) })
    },
    onError: (e) => notifyError(notify, e),
  })
  if (!admin)
    return (
      <section aria-label="GA4 property" className="space-y-1">
        <h3 className="text-sm font-medium text-slate-800">GA4 property</h3>
        <p className="text-sm text-slate-900">
          {connection.analytics
            ? `${connection.analytics.name ?? 'Unnamed'} (${connection.analytics.propertyId})`
            : 'No property picked yet.'}
        </p>
      </section>
    )
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (value && value !== current) save.mutate()
  }
  return (
    <form onSubmit={submit} className="space-y-2">
      <QueryState query={query} label="Loading GA4 properties…">
        {(data) => {
          if (data.items.length === 0)
            return <Alert title="No GA4 property">This Google login reads no GA4 property.</Alert>
          const accounts = [...new Map(data.items.map((p) => [p.account, p.accountName])).entries()]
          return (
            <>
              <Field label="GA4 property">
                {(p) => (
                  <Select {...p} value={value} onChange={(e) => setValue(e.target.value)}>
                    {!current && <option value="">Pick a property…</option>}
                    {accounts.map(([account, name]) => (
                      <optgroup key={account} label={name}>
                        {data.items
                          .filter((x) => x.account === account)
                          .map((x) => (
                            <option key={x.propertyId} value={x.propertyId}>
                              {x.name} · {x.propertyId}
                            </option>
                          ))}
                      </optgroup>
                    ))}
                  </Select>
                )}
              </Field>
              <div className="flex flex-wrap items-center gap-3">
                <Button
                  type="submit"
                  variant="secondary"
                  pending={save.isPending}
                  disabled={!value || value === current}
                >
                  Use this property
                </Button>
                {connection.analytics && (
                  <span className="text-xs text-slate-500">
                    Now: {connection.analytics.name ?? connection.analytics.propertyId}
                  </span>
                )}
              </div>
            </>
          )
        }}
      </QueryState>
    </form>
  )
}
