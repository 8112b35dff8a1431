import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useRef } from 'react'
import { useNavigate } from 'react-router'
import { flowPath } from '../../../../contracts/app-paths.ts'
import { errorMessage, isApiError } from '../../lib/api.ts'
import { planLimitReached } from '../../lib/plan-limit.ts'
import { Button } from '../../ui/Button.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { flowKeys, importFlow } from './api.ts'

const readJson = async (file: File): Promise<unknown> => {
  if (file.size > 5_000_000) throw new Error('This file is too large for a flow export.')
  try {
    return JSON.parse(await file.text())
  } catch {
    throw new Error('This file is not JSON. Pick a file made by a flow’s Export.')
  }
}

/** Import a flow exported as JSON into the client; its canvas opens. */
export function ImportButton({ clientId }: { clientId: string }) {
  const qc = useQueryClient()
  const navigate = useNavigate()
  const { notify } = useToast()
  const input = useRef<HTMLInputElement>(null)
  const run = useMutation({
    mutationFn: async (file: File) => importFlow(clientId, await readJson(file)),
    onSuccess: (f) => {
      void qc.invalidateQueries({ queryKey: flowKeys.lists })
      notify(`“${f.name}” imported`)
      navigate(flowPath(f.id))
    },
    onError: (e) => {
      const detail =
        isApiError(e) && e.issues.length ? ` (${e.issues.map((i) => `${i.path}: ${i.message}`).join('; ')})` : ''
      notify(planLimitReached(e) ? `${errorMessage(e)} See Plan & billing.` : `${errorMessage(e)}${detail}`, 'error')
    },
  })
  return (
    <>
      <input
        ref={input}
        type="file"
        accept="application/json,.json"
        className="sr-only"
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => {
          const file = e.target.files?.[0]
          e.target.value = ''
          if (file) run.mutate(file)
        }}
      />
      <Button variant="secondary" pending={run.isPending} onClick={() => input.current?.click()}>
        Import
      </Button>
    </>
  )
}
