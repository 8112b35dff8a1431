import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import type { AgentDto } from '../../../../contracts/agents.ts'
import { splitApiError } from '../../lib/form-errors.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Field } from '../../ui/Field.tsx'
import { Textarea } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { adjustBuiltin, agentKeys } from './api.ts'
import { ModelSelect } from './ModelSelect.tsx'

/** A built-in agent for one client: extra instructions on top of its own, a preferred model. */
export function BuiltinAgentForm({
  agent,
  clientId,
  clientName,
  onDone,
}: {
  agent: AgentDto
  clientId: string
  clientName: string
  onDone: () => void
}) {
  const qc = useQueryClient()
  const { notify } = useToast()
  const [instructions, setInstructions] = useState(agent.clientInstructions)
  const [modelId, setModelId] = useState(agent.modelId ?? '')
  const save = useMutation({
    mutationFn: () =>
      adjustBuiltin(clientId, agent.id, { instructions: instructions.trim(), modelId: modelId || null }),
    onSuccess: async () => {
      notify(`${agent.name} adjusted for ${clientName}`)
      onDone()
      await qc.invalidateQueries({ queryKey: agentKeys.all })
    },
  })
  const server = splitApiError(save.error, ['instructions', 'modelId'] as const)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (instructions.trim() === agent.clientInstructions && (modelId || null) === agent.modelId) return onDone()
    save.mutate()
  }
  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      {server.form && <Alert tone="error">{server.form}</Alert>}
      <Field
        label="Instructions"
        error={server.fields.instructions}
        hint={`Added to ${agent.name}’s own instructions, for ${clientName} only. Empty for none.`}
      >
        {(p) => (
          <Textarea
            {...p}
            rows={5}
            maxLength={20_000}
            value={instructions}
            onChange={(e) => setInstructions(e.target.value)}
            placeholder="Always write in a warm, informal tone. Never mention competitors by name."
          />
        )}
      </Field>
      <ModelSelect value={modelId} onChange={setModelId} error={server.fields.modelId} defaultLabel="Agent default" />
      <div className="flex gap-2">
        <Button type="submit" pending={save.isPending}>
          Save for {clientName}
        </Button>
        <Button variant="secondary" onClick={onDone} disabled={save.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  )
}
