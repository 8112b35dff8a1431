import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useId, useState } from 'react'
import type { ChannelCreate, ChannelDto } from '../../../../contracts/channels.ts'
import { cx } from '../../lib/cx.ts'
import { notifyError } from '../../lib/error-toast.ts'
import { splitApiError } from '../../lib/form-errors.ts'
import { planLimitReached } from '../../lib/plan-limit.ts'
import { Button } from '../../ui/Button.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { Field } from '../../ui/Field.tsx'
import { FormError } from '../../ui/FormError.tsx'
import { Input } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { channelKeys, createChannel } from './api.ts'

type Kind = ChannelCreate['kind']
const FIELDS = ['name', 'phoneNumberId', 'accessToken', 'businessAccountId'] as const

const KINDS: { kind: Kind; title: string; text: string }[] = [
  {
    kind: 'qr',
    title: 'Scan a QR code (WhatsApp Web)',
    text: 'Pair a phone that already uses WhatsApp or WhatsApp Business, as WhatsApp Web does.',
  },
  {
    kind: 'cloud',
    title: 'WhatsApp Cloud API',
    text: "A number of Meta's Cloud API: its phone number id and a permanent access token.",
  },
]

/** Adds a number: paired by QR (the QR dialog opens next) or connected through the Cloud API. */
export function AddNumberDialog({
  clientId,
  open,
  onClose,
  onCreated,
}: {
  clientId: string
  open: boolean
  onClose: () => void
  onCreated: (c: ChannelDto) => void
}) {
  const id = useId()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [kind, setKind] = useState<Kind>('qr')
  const [name, setName] = useState('')
  const [phoneNumberId, setPhoneNumberId] = useState('')
  const [accessToken, setAccessToken] = useState('')
  const [businessAccountId, setBusinessAccountId] = useState('')
  const [missing, setMissing] = useState(false)
  const create = useMutation({
    mutationFn: () =>
      createChannel(
        clientId,
        kind === 'qr'
          ? { kind, name: name.trim() }
          : {
              kind,
              name: name.trim(),
              phoneNumberId: phoneNumberId.trim(),
              accessToken: accessToken.trim(),
              ...(businessAccountId.trim() ? { businessAccountId: businessAccountId.trim() } : {}),
            },
      ),
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: channelKeys.all })
      notify(c.kind === 'qr' ? `${c.name} added: scan the QR code to pair it` : `${c.name} connected`)
      onCreated(c)
    },
    onError: (e) => {
      // A plan limit is not something to fix in the form: say so where the way out is (the plans).
      // Anything else is shown beside its field too.
      notifyError(notify, e)
      if (planLimitReached(e)) onClose()
    },
  })
  const errors = splitApiError(create.error, FIELDS)
  const need = (value: string, message: string) => (missing && !value.trim() ? message : undefined)
  const submit = () => {
    const required = kind === 'qr' ? [name] : [name, phoneNumberId, accessToken]
    if (required.some((v) => !v.trim())) return setMissing(true)
    create.mutate()
  }
  return (
    <Dialog open={open} title="Add a WhatsApp number" onClose={onClose}>
      <form
        noValidate
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault()
          submit()
        }}
      >
        <fieldset>
          <legend className="mb-2 text-sm font-medium text-slate-800">How is it connected?</legend>
          <div className="grid gap-2">
            {KINDS.map((k) => (
              <label
                key={k.kind}
                className={cx(
                  'flex cursor-pointer gap-3 rounded-md border p-3 text-sm has-focus-visible:outline-2',
                  'has-focus-visible:outline-indigo-600',
                  kind === k.kind ? 'border-indigo-500 bg-indigo-50' : 'border-slate-300 hover:bg-slate-50',
                )}
              >
                <input
                  type="radio"
                  name={`${id}-kind`}
                  value={k.kind}
                  checked={kind === k.kind}
                  onChange={() => {
                    setKind(k.kind)
                    create.reset()
                  }}
                  className="mt-0.5"
                />
                <span>
                  <span className="block font-medium text-slate-900">{k.title}</span>
                  <span className="block text-slate-600">{k.text}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        <FormError error={create.error} message={errors.form} />
        <Field
          label="Name"
          hint="How your team knows it, e.g. “Reception”."
          error={need(name, 'Give the number a name.') ?? errors.fields.name}
        >
          {(c) => <Input {...c} maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        {kind === 'cloud' && (
          <>
            <Field
              label="Phone number id"
              hint="WhatsApp Manager → API setup: the id of the phone number, not the number itself."
              error={need(phoneNumberId, 'Enter the phone number id.') ?? errors.fields.phoneNumberId}
            >
              {(c) => (
                <Input
                  {...c}
                  inputMode="numeric"
                  autoComplete="off"
                  value={phoneNumberId}
                  onChange={(e) => setPhoneNumberId(e.target.value)}
                />
              )}
            </Field>
            <Field
              label="Access token"
              hint="A system user's permanent token with whatsapp_business_messaging. It is stored sealed and never shown again."
              error={need(accessToken, 'Enter the access token.') ?? errors.fields.accessToken}
            >
              {(c) => (
                <Input
                  {...c}
                  type="password"
                  autoComplete="off"
                  value={accessToken}
                  onChange={(e) => setAccessToken(e.target.value)}
                />
              )}
            </Field>
            <Field
              label="Business account id (optional)"
              hint="The WhatsApp Business Account id, to list its message templates."
              error={errors.fields.businessAccountId}
            >
              {(c) => (
                <Input
                  {...c}
                  inputMode="numeric"
                  autoComplete="off"
                  value={businessAccountId}
                  onChange={(e) => setBusinessAccountId(e.target.value)}
                />
              )}
            </Field>
          </>
        )}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" pending={create.isPending}>
            {kind === 'qr' ? 'Add and show the QR' : 'Connect number'}
          </Button>
        </div>
      </form>
    </Dialog>
  )
}
