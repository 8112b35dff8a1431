import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { useNavigate } from 'react-router'
import type { CampaignMessage } from '../../../../contracts/crm-campaigns.ts'
import { errorMessage } from '../../lib/api.ts'
import { notifyError } from '../../lib/error-toast.ts'
import { formatCount } from '../../lib/format.ts'
import { useDebounced } from '../../lib/use-debounced.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select, Textarea } from '../../ui/Input.tsx'
import { Spinner } from '../../ui/Spinner.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { channelKeys, listChannels, listMessageTemplates } from '../channels/index.ts'
import { campaignKeys, createCampaign, patchCampaign, previewCampaign } from './campaigns-api.ts'
import type { Campaign, CampaignSegment } from './campaigns-api.ts'

type Form = {
  name: string
  channelId: string
  tagsAny: string
  tagsAll: string
  hasWhatsApp: boolean
  hasPhone: boolean
  createdFrom: string
  createdTo: string
  lastContactFrom: string
  lastContactTo: string
  text: string
  template: string
  variables: string[]
}

const tagsOf = (s: string) =>
  s
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)

const segmentOf = (f: Form): CampaignSegment => {
  const s: CampaignSegment = {}
  if (tagsOf(f.tagsAny).length) s.tagsAny = tagsOf(f.tagsAny)
  if (tagsOf(f.tagsAll).length) s.tagsAll = tagsOf(f.tagsAll)
  if (f.hasWhatsApp) s.hasWhatsApp = true
  if (f.hasPhone) s.hasPhone = true
  if (f.createdFrom) s.createdFrom = f.createdFrom
  if (f.createdTo) s.createdTo = f.createdTo
  if (f.lastContactFrom) s.lastContactFrom = f.lastContactFrom
  if (f.lastContactTo) s.lastContactTo = f.lastContactTo
  return s
}

const formOf = (c: Campaign | undefined): Form => ({
  name: c?.name ?? '',
  channelId: c?.channelId ?? '',
  tagsAny: c?.segment.tagsAny?.join(', ') ?? '',
  tagsAll: c?.segment.tagsAll?.join(', ') ?? '',
  hasWhatsApp: c?.segment.hasWhatsApp ?? false,
  hasPhone: c?.segment.hasPhone ?? false,
  createdFrom: c?.segment.createdFrom ?? '',
  createdTo: c?.segment.createdTo ?? '',
  lastContactFrom: c?.segment.lastContactFrom ?? '',
  lastContactTo: c?.segment.lastContactTo ?? '',
  text: c?.message.type === 'text' ? c.message.text : '',
  template: c?.message.type === 'template' ? `${c.message.name}|${c.message.language}` : '',
  variables: c?.message.type === 'template' ? c.message.variables : [],
})

/**
 * A campaign draft: its name, the number it goes out from, the segment (with a live count of who it reaches once the
 * draft is saved) and the message — an approved template for a Cloud API number, a text for a QR-paired one.
 */
export function CampaignBuilder({ clientId, campaign }: { clientId: string; campaign?: Campaign }) {
  const [form, setForm] = useState<Form>(() => formOf(campaign))
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }))
  const qc = useQueryClient()
  const navigate = useNavigate()
  const { notify } = useToast()
  const numbers = useQuery({
    queryKey: channelKeys.list(clientId),
    queryFn: ({ signal }) => listChannels(clientId, signal),
  })
  const number = numbers.data?.items.find((n) => n.id === form.channelId)
  const templates = useQuery({
    queryKey: channelKeys.templates(form.channelId),
    queryFn: ({ signal }) => listMessageTemplates(form.channelId, signal),
    enabled: number?.kind === 'cloud',
  })
  const approved = (templates.data?.items ?? []).filter((t) => t.status === 'APPROVED')

  const message = (): CampaignMessage => {
    if (number?.kind === 'cloud') {
      const [name = '', language = ''] = form.template.split('|')
      return { type: 'template', name, language, variables: form.variables.filter((v) => v.trim()) }
    }
    return { type: 'text', text: form.text }
  }
  const save = useMutation({
    mutationFn: () => {
      const body = { name: form.name, channelId: form.channelId, segment: segmentOf(form), message: message() }
      return campaign ? patchCampaign(clientId, campaign.id, body) : createCampaign(clientId, body)
    },
    onSuccess: (c) => {
      notify(campaign ? 'Draft saved' : 'Campaign draft created')
      qc.setQueryData(campaignKeys.one(clientId, c.id), c)
      void qc.invalidateQueries({ queryKey: campaignKeys.all(clientId) })
      if (!campaign) void navigate(`/app/crm/campaigns/${c.id}`)
    },
    onError: (e) => notifyError(notify, e),
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    save.mutate()
  }
  const bodyVariables = templateVariableCount(
    templates.data?.items.find((t) => `${t.name}|${t.language}` === form.template)?.components,
  )

  return (
    <form onSubmit={submit} className="space-y-6" aria-label="Campaign">
      <Card title="Campaign">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Name">
            {(p) => (
              <Input {...p} required maxLength={200} value={form.name} onChange={(e) => set('name', e.target.value)} />
            )}
          </Field>
          <Field
            label="WhatsApp number"
            error={numbers.isError ? errorMessage(numbers.error) : undefined}
            hint={numbers.data && !numbers.data.items.length ? 'Add a WhatsApp number first.' : undefined}
          >
            {(p) => (
              <Select {...p} required value={form.channelId} onChange={(e) => set('channelId', e.target.value)}>
                <option value="">Choose a number</option>
                {numbers.data?.items.map((n) => (
                  <option key={n.id} value={n.id}>
                    {n.name} {n.phone ? `(${n.phone})` : ''} · {n.kind === 'cloud' ? 'Cloud API' : 'QR'}
                  </option>
                ))}
              </Select>
            )}
          </Field>
        </div>
      </Card>

      <Card title="Who receives it" description="Archived contacts and contacts who wrote STOP are never included.">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Any of these tags" hint="Comma-separated">
            {(p) => <Input {...p} value={form.tagsAny} onChange={(e) => set('tagsAny', e.target.value)} />}
          </Field>
          <Field label="All of these tags" hint="Comma-separated">
            {(p) => <Input {...p} value={form.tagsAll} onChange={(e) => set('tagsAll', e.target.value)} />}
          </Field>
          <Field label="Created from">
            {(p) => (
              <Input {...p} type="date" value={form.createdFrom} onChange={(e) => set('createdFrom', e.target.value)} />
            )}
          </Field>
          <Field label="Created until">
            {(p) => (
              <Input {...p} type="date" value={form.createdTo} onChange={(e) => set('createdTo', e.target.value)} />
            )}
          </Field>
          <Field label="Last contact from">
            {(p) => (
              <Input
                {...p}
                type="date"
                value={form.lastContactFrom}
                onChange={(e) => set('lastContactFrom', e.target.value)}
              />
            )}
          </Field>
          <Field label="Last contact until">
            {(p) => (
              <Input
                {...p}
                type="date"
                value={form.lastContactTo}
                onChange={(e) => set('lastContactTo', e.target.value)}
              />
            )}
          </Field>
        </div>
        <div className="mt-4 flex flex-wrap gap-x-6 gap-y-2 text-sm text-slate-800">
          <label className="flex items-center gap-2">
            <input
              type="checkbox"
              className="size-4"
              checked={form.hasWhatsApp}
              onChange={(e) => set('hasWhatsApp', e.target.checked)}
            />
            Has WhatsApp
          </label>
          <label className="flex items-center gap-2">
            <input
              type="checkbox"
              className="size-4"
              checked={form.hasPhone}
              onChange={(e) => set('hasPhone', e.target.checked)}
            />
            Has a phone number
          </label>
        </div>
        {campaign ? (
          <Reach clientId={clientId} campaignId={campaign.id} segment={segmentOf(form)} />
        ) : (
          <p className="mt-4 text-sm text-slate-600">Save the draft to see how many contacts it reaches.</p>
        )}
      </Card>

      <Card title="Message">
        {!number ? (
          <p className="text-sm text-slate-600">Choose a number first.</p>
        ) : number.kind === 'cloud' ? (
          <div className="space-y-4">
            <p className="text-sm text-slate-600">
              A Cloud API number can only start a conversation with a template Meta approved.
            </p>
            {templates.isPending ? (
              <Spinner label="Loading templates…" />
            ) : templates.isError ? (
              <Alert tone="error" title="Could not load the templates">
                {errorMessage(templates.error)}
              </Alert>
            ) : (
              <Field label="Template" hint={approved.length ? undefined : 'This number has no approved template yet.'}>
                {(p) => (
                  <Select {...p} required value={form.template} onChange={(e) => set('template', e.target.value)}>
                    <option value="">Choose a template</option>
                    {approved.map((t) => (
                      <option key={`${t.name}|${t.language}`} value={`${t.name}|${t.language}`}>
                        {t.name} ({t.language})
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
            )}
            {Array.from({ length: Math.max(bodyVariables, form.variables.length) }, (_, i) => (
              <Field key={i} label={`Variable {{${i + 1}}}`} hint="{{name}} is the contact's name">
                {(p) => (
                  <Input
                    {...p}
                    value={form.variables[i] ?? ''}
                    onChange={(e) => {
                      const next = [...form.variables]
                      next[i] = e.target.value
                      set('variables', next)
                    }}
                  />
                )}
              </Field>
            ))}
          </div>
        ) : (
          <Field label="Text" hint="{{name}} is replaced by the contact's name. Contacts can answer STOP to opt out.">
            {(p) => (
              <Textarea
                {...p}
                required
                rows={5}
                maxLength={4096}
                value={form.text}
                onChange={(e) => set('text', e.target.value)}
              />
            )}
          </Field>
        )}
      </Card>

      <div className="flex flex-wrap justify-end gap-2">
        <Button type="submit" variant={campaign ? 'secondary' : 'primary'} pending={save.isPending}>
          {campaign ? 'Save draft' : 'Create draft'}
        </Button>
      </div>
    </form>
  )
}

/** How many `{{n}}` a template's body has (its variables). */
const templateVariableCount = (components: unknown[] | undefined) => {
  const body = (components ?? []).find(
    (c): c is { type: string; text?: string } =>
      typeof c === 'object' && c !== null && (c as { type?: unknown }).type === 'BODY',
  )
  return new Set(body?.text?.match(/\{\{\d+\}\}/g) ?? []).size
}

/** The live count of who the segment being edited reaches (debounced). */
function Reach({ clientId, campaignId, segment }: { clientId: string; campaignId: string; segment: CampaignSegment }) {
  const debounced = useDebounced(segment, 400)
  const preview = useQuery({
    queryKey: campaignKeys.preview(clientId, campaignId, debounced),
    queryFn: ({ signal }) => previewCampaign(clientId, campaignId, debounced, signal),
    placeholderData: keepPreviousData,
  })
  if (preview.isPending) return <Spinner label="Counting recipients…" />
  if (preview.isError)
    return (
      <Alert tone="error" title="Could not count the recipients">
        {errorMessage(preview.error)}
      </Alert>
    )
  const p = preview.data
  return (
    <div className="mt-4 rounded-md bg-slate-50 p-3 text-sm text-slate-700" aria-live="polite">
      <p>
        <strong className="text-lg font-semibold text-slate-900">{formatCount(p.recipients)}</strong> recipients
        {preview.isFetching && <span className="ml-2 text-xs text-slate-500">updating…</span>}
      </p>
      <p className="text-xs text-slate-500">
        {formatCount(p.matching)} contacts match · {formatCount(p.optedOut)} opted out · {formatCount(p.unreachable)}{' '}
        without a WhatsApp address for this number
      </p>
      {p.first.length > 0 && (
        <p className="mt-1 text-xs break-words text-slate-600">
          First:{' '}
          {p.first
            .slice(0, 5)
            .map((r) => r.name)
            .join(', ')}
          {p.recipients > 5 ? '…' : ''}
        </p>
      )}
    </div>
  )
}
