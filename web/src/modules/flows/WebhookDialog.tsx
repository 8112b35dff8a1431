import { useMutation, useQueryClient } from '@tanstack/react-query'
import type { FlowDto, WebhookSecretDto } from '../../../../contracts/flows.ts'
import { errorMessage } from '../../lib/api.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { CopyField } from '../../ui/CopyField.tsx'
import { Dialog } from '../../ui/Dialog.tsx'
import { FormError } from '../../ui/FormError.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { flowKeys, rotateWebhook } from './api.ts'

type Props = {
  flow: FlowDto
  open: boolean
  onClose: () => void
  admin: boolean
  /** A secret just shown by publish or rotate (never stored: closing the dialog forgets it). */
  secret: WebhookSecretDto | null
  onSecret: (s: WebhookSecretDto | null) => void
}

/** The webhook's URL: the secret part is shown once (after publish or a rotation); rotating makes a new one. */
export function WebhookDialog({ flow, open, onClose, admin, secret, onSecret }: Props) {
  const { notify } = useToast()
  const qc = useQueryClient()
  const rotate = useMutation({
    mutationFn: () => rotateWebhook(flow.id),
    onSuccess: (s) => {
      onSecret(s)
      void qc.invalidateQueries({ queryKey: flowKeys.flow(flow.id) })
      notify(flow.webhook ? 'New webhook URL made: the old one no longer works' : 'Webhook URL made')
    },
  })
  const close = () => {
    onSecret(null)
    onClose()
  }
  return (
    <Dialog open={open} title="Webhook URL" onClose={close}>
      <div className="space-y-4 text-sm text-slate-700">
        {secret ? (
          <>
            <Alert tone="warning" title="Copy it now">
              This URL contains a secret and is shown only once. Anyone with it can start this flow.
            </Alert>
            <div>
              <p className="font-medium text-slate-800">URL</p>
              <CopyField value={secret.url} testId="webhook-url" label="Webhook URL" />
            </div>
            <div>
              <p className="font-medium text-slate-800">Secret</p>
              <CopyField value={secret.secret} testId="webhook-secret" label="Webhook secret" />
            </div>
            {secret.hmacSecret && (
              <div>
                <p className="font-medium text-slate-800">HMAC signing secret</p>
                <CopyField value={secret.hmacSecret} testId="webhook-hmac-secret" label="HMAC signing secret" />
                <p className="mt-1 text-xs text-slate-500">
                  Sign the raw body with HMAC-SHA256 and send the hex digest.
                </p>
              </div>
            )}
          </>
        ) : flow.webhook ? (
          <>
            <p>
              Webhook: <code className="break-all">{flow.webhook.hint}</code>
              {flow.webhook.hmac && ' · requests must be signed (HMAC)'}
            </p>
            <p>
              The full URL was shown once when it was made.{' '}
              {admin ? 'Lost it? Make a new one:' : 'Ask an admin for it.'}
            </p>
          </>
        ) : (
          <p>
            This flow&apos;s webhook has no URL yet.{' '}
            {admin ? 'Make one: it works once the flow is published and active.' : 'Ask an admin to make it.'}
          </p>
        )}
        <FormError error={rotate.error} message={rotate.error ? errorMessage(rotate.error) : null} />
        <div className="flex flex-wrap justify-end gap-2">
          {admin && (
            <Button variant="secondary" pending={rotate.isPending} onClick={() => rotate.mutate()}>
              {secret ? 'Rotate again' : flow.webhook ? 'Rotate URL' : 'Make the URL'}
            </Button>
          )}
          <Button onClick={close}>Done</Button>
        </div>
      </div>
    </Dialog>
  )
}
