import { notifyError } from '../../lib/error-toast.ts'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useMemo, useState } from 'react'
import type { FormEvent } from 'react'
import { errorMessage, isApiError } from '../../lib/api.ts'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input } from '../../ui/Input.tsx'
import { Spinner } from '../../ui/Spinner.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { crmKeys, getCrmSettings, putCrmSettings } from './api.ts'
import type { CrmSettings } from './api.ts'

/** The client's CRM settings (admins): the country of phones written without +, and the client's time zone. */
export function CrmSettingsDialog({
  clientId,
  open,
  onClose,
}: {
  clientId: string
  open: boolean
  onClose: () => void
}) {
  const query = useQuery({
    queryKey: crmKeys.settings(clientId),
    queryFn: ({ signal }) => getCrmSettings(clientId, signal),
    enabled: open,
  })
  return (
    <Dialog open={open} title="CRM settings" onClose={onClose}>
      {query.data ? (
        <SettingsForm clientId={clientId} settings={query.data} onClose={onClose} />
      ) : query.isError ? (
        <p className="text-sm text-red-700">{errorMessage(query.error)}</p>
      ) : (
        <Spinner label="Loading the settings…" />
      )}
    </Dialog>
  )
}

/** The IANA zones this browser knows, for suggestions (the server checks the name with Intl too). */
const knownZones = () => {
  try {
    return (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? []
  } catch {
    return []
  }
}

/** What the browser's Intl knows is checked before sending (the server checks again with its own). */
const isZone = (tz: string) => {
  if (/^[+-]/.test(tz)) return false
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

function SettingsForm({
  clientId,
  settings,
  onClose,
}: {
  clientId: string
  settings: CrmSettings
  onClose: () => void
}) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const zones = useMemo(knownZones, [])
  const [country, setCountry] = useState(settings.defaultCountry ?? '')
  const [zone, setZone] = useState(settings.timeZone ?? '')
  const [errors, setErrors] = useState<{ country?: string; zone?: string; form?: string }>({})
  const save = useMutation({
    mutationFn: () =>
      putCrmSettings(clientId, {
        defaultCountry: country.trim() ? country.trim().toUpperCase() : null,
        timeZone: zone.trim() || null,
      }),
    onSuccess: (s) => {
      qc.setQueryData(crmKeys.settings(clientId), s)
      notify('CRM settings saved.')
      onClose()
    },
    onError: (e) => {
      setErrors(
        isApiError(e, 'crm.invalid_time_zone')
          ? { zone: errorMessage(e) }
          : isApiError(e, 'crm.invalid_country')
            ? { country: errorMessage(e) }
            : { form: errorMessage(e) },
      )
      notifyError(notify, e)
    },
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const next: typeof errors = {}
    if (country.trim() && !/^[A-Za-z]{2}$/.test(country.trim())) next.country = 'Two letters, e.g. RO.'
    if (zone.trim() && !isZone(zone.trim()))
      next.zone = `"${zone.trim()}" is not a time zone (use an IANA name like Europe/Bucharest).`
    setErrors(next)
    if (!next.country && !next.zone) save.mutate()
  }
  return (
    <form onSubmit={submit} noValidate className="space-y-3">
      <Field
        label="Default country"
        hint="Phones written without + are read in this country (ISO code, e.g. RO). Empty: phones need +."
        error={errors.country}
      >
        {(p) => (
          <Input
            {...p}
            value={country}
            onChange={(e) => setCountry(e.target.value)}
            maxLength={2}
            autoComplete="off"
            className="w-24 uppercase"
            autoFocus
          />
        )}
      </Field>
      <Field
        label="Time zone"
        hint="Bookings drafted from a conversation that names no zone get this one (e.g. Europe/Bucharest). Empty: the default country’s."
        error={errors.zone}
      >
        {(p) => (
          <>
            <Input
              {...p}
              value={zone}
              onChange={(e) => setZone(e.target.value)}
              list="crm-time-zones"
              autoComplete="off"
              maxLength={64}
            />
            <datalist id="crm-time-zones">
              {zones.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </>
        )}
      </Field>
      {errors.form && (
        <p role="alert" className="text-sm text-red-700">
          {errors.form}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" pending={save.isPending}>
          Save
        </Button>
      </div>
    </form>
  )
}
