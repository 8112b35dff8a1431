import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import { splitApiError } from '../../lib/form-errors.ts'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { FormError } from '../../ui/FormError.tsx'
import { Input } from '../../ui/Input.tsx'
import { requestPairingCode } from './api.ts'

/** International digits only: "+40 712 345 678" → "40712345678". */
const digitsOf = (s: string) => s.replace(/\D/g, '')

/** Links a QR number by a code typed on the phone (when scanning is not possible): the code shown big, to copy. */
export function PairingCodeForm({
  channelId,
  onBack,
  onClose,
}: {
  channelId: string
  onBack: () => void
  onClose: () => void
}) {
  const [phone, setPhone] = useState('')
  const [invalid, setInvalid] = useState(false)
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null)
  const request = useMutation({
    mutationFn: () => requestPairingCode(channelId, digitsOf(phone)),
    meta: { success: 'Pairing code ready: enter it on the phone.' },
  })
  const errors = splitApiError(request.error, ['phone'] as const)
  const code = request.data?.code
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code ?? '')
      setCopied('yes')
    } catch {
      setCopied('failed')
    }
  }
  return (
    <div className="space-y-4">
      {code ? (
        <>
          <p className="text-sm text-slate-700">
            On the phone:{' '}
            <strong>WhatsApp → Settings → Linked devices → Link a device → Link with phone number instead</strong>, then
            type this code.
          </p>
          <div className="flex flex-col items-center gap-3">
            <code
              data-testid="pairing-code"
              className="rounded-lg border border-slate-300 bg-slate-50 px-5 py-3 font-mono text-3xl font-semibold tracking-widest text-slate-900 select-all"
            >
              {code}
            </code>
            <Button variant="secondary" onClick={copy}>
              {copied === 'yes' ? 'Copied' : 'Copy code'}
            </Button>
            <span aria-live="polite" className="sr-only">
              {copied === 'yes' ? 'Code copied' : copied === 'failed' ? 'Copy failed; select the code and copy it' : ''}
            </span>
          </div>
          <p className="text-center text-xs text-slate-500">This window closes by itself once the phone is linked.</p>
        </>
      ) : (
        <form
          noValidate
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault()
            const d = digitsOf(phone)
            if (d.length < 6 || d.length > 15) return setInvalid(true)
            setInvalid(false)
            request.mutate()
          }}
        >
          <FormError error={request.error} message={errors.form} />
          <Field
            label="Phone number"
            hint="The number of the phone to link, with its country code, e.g. +40 712 345 678."
            error={invalid ? 'Enter the full number with its country code.' : errors.fields.phone}
          >
            {(c) => (
              <Input
                {...c}
                autoFocus
                type="tel"
                autoComplete="tel"
                value={phone}
                onChange={(e) => setPhone(e.target.value)}
              />
            )}
          </Field>
          <div className="flex justify-end">
            <Button type="submit" pending={request.isPending}>
              Get a pairing code
            </Button>
          </div>
        </form>
      )}
      <div className="flex flex-wrap justify-between gap-2 border-t border-slate-100 pt-4">
        <Button variant="ghost" onClick={onBack}>
          Scan a QR code instead
        </Button>
        <Button variant="secondary" onClick={onClose}>
          Close
        </Button>
      </div>
    </div>
  )
}
