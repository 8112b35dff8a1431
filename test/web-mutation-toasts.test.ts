import { QueryClient } from '@tanstack/react-query'
import type { MutationOptions } from '@tanstack/react-query'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../web/src/lib/api.ts'
import { createToastingMutationCache } from '../web/src/lib/mutation-toasts.ts'
import type { ToastLink } from '../web/src/ui/Toast.tsx'

type Shown = { message: string; tone: 'success' | 'error' | undefined; link: ToastLink | undefined }

/** A query client with the app's mutation cache, and the toasts it asked for. */
const setup = () => {
  const shown: Shown[] = []
  const client = new QueryClient({
    mutationCache: createToastingMutationCache((message, tone, link) => shown.push({ message, tone, link })),
  })
  const run = async (options: MutationOptions<unknown, Error, void>) => {
    const mutation = client.getMutationCache().build(client, options)
    await mutation.execute(undefined).catch(() => undefined)
  }
  return { shown, run }
}

const refused = (status: number, code: string, message: string, details?: unknown) => async () => {
  throw new ApiError(status, code, message, details)
}

/** The web app's one toast mechanism: every mutation's outcome reported through the query client's mutation cache. */
describe('web mutation toasts', () => {
  it('shows the success message a mutation declares', async () => {
    const { shown, run } = setup()
    await run({ mutationFn: async () => 'ok', meta: { success: 'Client added.' } })
    expect(shown).toEqual([{ message: 'Client added.', tone: 'success', link: undefined }])
  })

  it('shows nothing on success when the mutation declares no message (its own onSuccess or the next page answers)', async () => {
    const { shown, run } = setup()
    await run({ mutationFn: async () => 'ok' })
    expect(shown).toEqual([])
  })

  it("shows a failure's human message from the error code, with no mutation asking for it", async () => {
    const { shown, run } = setup()
    await run({
      mutationFn: refused(409, 'crm.duplicate_contact', 'A contact with this phone number already exists.'),
      meta: { success: 'Contact saved.' },
    })
    expect(shown).toEqual([
      { message: 'A contact with this phone number already exists.', tone: 'error', link: undefined },
    ])
  })

  it('links a plan limit (402) to the plans, and spent credits (402) to top-ups', async () => {
    const { shown, run } = setup()
    await run({
      mutationFn: refused(402, 'plan.limit_reached', 'Your plan allows 2 clients.', {
        limit: 'clients',
        upgradeUrl: '/app/settings/billing',
      }),
    })
    await run({ mutationFn: refused(402, 'credits.insufficient', 'Not enough credits for this answer.') })
    expect(shown).toEqual([
      {
        message: 'Your plan allows 2 clients.',
        tone: 'error',
        link: { to: '/app/settings/billing', label: 'See plans' },
      },
      {
        message: 'Not enough credits for this answer.',
        tone: 'error',
        link: { to: expect.stringMatching(/^\/app\//) as unknown as string, label: 'Get more credits' },
      },
    ])
  })

  it('leaves the failure to a mutation that handles it itself, or that opts out', async () => {
    const { shown, run } = setup()
    const handled: unknown[] = []
    await run({ mutationFn: refused(409, 'x.conflict', 'Taken.'), onError: (e) => void handled.push(e) })
    await run({ mutationFn: refused(400, 'x.bad', 'Bad.'), meta: { errorToast: false } })
    expect(shown).toEqual([])
    expect(handled).toHaveLength(1)
  })

  it('names a failure that is not an API error in plain words', async () => {
    const { shown, run } = setup()
    await run({
      mutationFn: async () => {
        throw new Error('The input is not valid JSON.')
      },
    })
    expect(shown.map((s) => [s.message, s.tone])).toEqual([['The input is not valid JSON.', 'error']])
  })
})
