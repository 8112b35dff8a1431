import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import type { KeyProvider } from '../../../../contracts/provider-keys.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { isHttpUrl, splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Input, Select } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { modelKeys } from '../models/index.ts'
import { PROVIDERS, providerKeyKeys, providerLabel, putProviderKey } from './api.ts'
import type { ProviderKeyBody } from './api.ts'

type Errors = { apiKey?: string; baseUrl?: string; models?: string }
export const KEY_FORM_ID = 'provider-key-form'

const splitModels = (raw: string) =>
  raw
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean)

const validate = (provider: KeyProvider, apiKey: string, baseUrl: string, models: string[]): Errors => {
  const errors: Errors = {}
  if (apiKey.trim().length < 8) errors.apiKey = 'Paste the whole key: it is at least 8 characters long.'
  if (baseUrl.trim() && !isHttpUrl(baseUrl.trim())) errors.baseUrl = 'Enter a full http:// or https:// address.'
  if (provider === 'openai-compatible') {
    if (!baseUrl.trim()) errors.baseUrl = 'An OpenAI-compatible server needs its base URL, e.g. http://ollama:11434/v1.'
    if (models.length === 0) errors.models = 'Name at least one model the server serves, e.g. llama3.1.'
    else if (models.length > 20) errors.models = 'At most 20 models.'
  }
  return errors
}

/** Sets (or replaces) the workspace's key for one provider. The key is sent once and never shown again. */
export function ProviderKeyForm({
  provider,
  onProviderChange,
}: {
  provider: KeyProvider
  onProviderChange: (p: KeyProvider) => void
}) {
  const { workspace } = useWorkspace()
  const qc = useQueryClient()
  const { notify } = useToast()
  const [apiKey, setApiKey] = useState('')
  const [baseUrl, setBaseUrl] = useState('')
  const [models, setModels] = useState('')
  const [local, setLocal] = useState<Errors>({})
  const save = useMutation({
    mutationFn: (body: ProviderKeyBody) => putProviderKey(workspace.id, provider, body),
    onSuccess: async (saved) => {
      setApiKey('')
      setBaseUrl('')
      setModels('')
      notify(`${providerLabel(saved.provider)} key saved (ending in ${saved.keyHint})`)
      await Promise.all([
        qc.invalidateQueries({ queryKey: providerKeyKeys.list(workspace.id) }),
        qc.invalidateQueries({ queryKey: modelKeys.all }),
      ])
    },
  })
  const server = splitApiError(save.error, ['apiKey', 'baseUrl', 'models'] as const)
  const errors = { ...server.fields, ...local }
  const compatible = provider === 'openai-compatible'
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const list = compatible ? splitModels(models) : []
    const found = validate(provider, apiKey, baseUrl, list)
    setLocal(found)
    if (Object.keys(found).length > 0) return
    save.mutate({
      apiKey: apiKey.trim(),
      ...(baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}),
      ...(compatible ? { models: list } : {}),
    })
  }
  return (
    <form id={KEY_FORM_ID} onSubmit={submit} noValidate className="space-y-4">
      {server.form && <Alert tone="error">{server.form}</Alert>}
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Provider">
          {(p) => (
            <Select
              {...p}
              value={provider}
              onChange={(e) => {
                onProviderChange(e.target.value as KeyProvider)
                setLocal({})
                save.reset()
              }}
            >
              {PROVIDERS.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field
          label="API key"
          error={errors.apiKey}
          hint="Stored encrypted. Only its last 4 characters are ever shown again."
        >
          {(p) => (
            <Input
              {...p}
              type="password"
              autoComplete="off"
              spellCheck={false}
              maxLength={500}
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
            />
          )}
        </Field>
        <Field
          label={compatible ? 'Base URL' : 'Base URL (optional)'}
          error={errors.baseUrl}
          hint={
            compatible ? 'The server’s OpenAI-style API root.' : 'Only for a proxy or gateway in front of the provider.'
          }
        >
          {(p) => (
            <Input
              {...p}
              type="url"
              inputMode="url"
              placeholder={compatible ? 'http://ollama:11434/v1' : 'https://…'}
              maxLength={500}
              value={baseUrl}
              onChange={(e) => setBaseUrl(e.target.value)}
            />
          )}
        </Field>
        {compatible && (
          <Field label="Models" error={errors.models} hint="Comma-separated model names the server serves.">
            {(p) => (
              <Input
                {...p}
                placeholder="llama3.1, qwen2.5"
                value={models}
                onChange={(e) => setModels(e.target.value)}
              />
            )}
          </Field>
        )}
      </div>
      <Button type="submit" pending={save.isPending}>
        Save key
      </Button>
    </form>
  )
}
