import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import { ApiError, errorMessage } from '../../lib/api.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { connectorKeys } from './api.ts'
import { toMillionths } from './figures.ts'

/** Titles for Google's refusals; the API's message (with the delay to wait, when there is one) follows. */
const ERROR_TITLES: Record<string, string> = {
  'connectors.quota': 'Google’s quota is spent for now',
  'connectors.unavailable': 'Google is not answering',
  'connectors.permission_denied': 'Google refused access',
  'connectors.customer_not_enabled': 'This Google Ads account is not enabled',
  'connectors.ads_account_required': 'Pick a Google Ads account first',
  'connectors.analytics_property_required': 'Pick a GA4 property first',
  'connectors.reconnect_required': 'Google no longer accepts this connection',
  'connectors.not_connected': 'Google is not connected',
  'connectors.range_invalid': 'This date range cannot be read',
  'connectors.google_failed': 'Google answered with an error',
}
/** Codes after which the connection itself changed: the status above is read again. */
const STATUS_CODES = new Set(['connectors.reconnect_required', 'connectors.not_connected'])

export function ReportError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const code = error instanceof ApiError ? error.code : ''
  const retry = error instanceof ApiError && (error.status === 429 || error.status >= 500 || error.status === 0)
  return (
    <Alert
      tone={code === 'connectors.quota' || code === 'connectors.unavailable' ? 'warning' : 'error'}
      title={ERROR_TITLES[code] ?? 'Could not load this report'}
    >
      <p>{errorMessage(error)}</p>
      {retry && (
        <Button variant="secondary" className="mt-3" onClick={onRetry}>
          Try again
        </Button>
      )}
    </Alert>
  )
}

/** A report query: the connection's status is read again when Google's answer says it changed. */
export const useReport = <T,>(clientId: string, key: readonly unknown[], load: (signal: AbortSignal) => Promise<T>) => {
  const query = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => load(signal),
    placeholderData: keepPreviousData,
  })
  useFollowStatus(clientId, query.error)
  return query
}

/** Reads the client's connections again when an answer says the connection changed (revoked, disconnected). */
export const useFollowStatus = (clientId: string, error: unknown) => {
  const qc = useQueryClient()
  const code = error instanceof ApiError ? error.code : null
  useEffect(() => {
    if (code && STATUS_CODES.has(code)) void qc.invalidateQueries({ queryKey: connectorKeys.list(clientId) })
  }, [code, qc, clientId])
}

export function ReportSkeleton({ label }: { label: string }) {
  return (
    <div role="status" aria-label={label} className="space-y-3">
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
        {Array.from({ length: 5 }, (_, i) => (
          <div key={i} className="h-20 animate-pulse rounded-lg bg-slate-100" />
        ))}
      </div>
      <div className="h-40 animate-pulse rounded-lg bg-slate-100" />
    </div>
  )
}

/** By the biggest figure first, on exact values. */
export const byDesc = <T,>(items: T[], value: (x: T) => string | null | undefined) =>
  [...items].sort((a, b) => {
    const x = toMillionths(value(a)) ?? 0n
    const y = toMillionths(value(b)) ?? 0n
    return x === y ? 0 : x > y ? -1 : 1
  })
