import { Field } from '../../ui/Field.tsx'
import { Select } from '../../ui/Input.tsx'
import { useModels } from '../models/index.ts'

/** "Model": the workspace default ('') or one of the models this workspace can use. */
export function ModelSelect({
  value,
  onChange,
  error,
  defaultLabel = 'Workspace default',
}: {
  value: string
  onChange: (v: string) => void
  error?: string | undefined
  defaultLabel?: string
}) {
  const models = useModels()
  const known = models.data?.some((m) => m.id === value) ?? true
  return (
    <Field
      label="Model"
      error={error ?? (models.isError ? 'Could not load the models; only the default is offered.' : undefined)}
    >
      {(p) => (
        <Select {...p} value={value} disabled={models.isPending} onChange={(e) => onChange(e.target.value)}>
          <option value="">{defaultLabel}</option>
          {models.data?.map((m) => (
            <option key={m.id} value={m.id}>
              {m.label}
              {m.offline && !/offline/i.test(m.label) ? ' (offline)' : ''}
            </option>
          ))}
          {!known && value && <option value={value}>{value} (no longer available)</option>}
        </Select>
      )}
    </Field>
  )
}
