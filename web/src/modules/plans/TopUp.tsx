import { useId, useState } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { startTopup } from './api.ts'
import { formatCount } from '../../lib/format.ts'
import { useStripeRedirect } from './redirect.ts'
import { cx } from '../../lib/cx.ts'

/** The packs offered; Stripe Checkout shows the price of the one chosen before anything is charged. */
const PACKS = [500, 1_000, 5_000]

/** Admins buy credits once through Stripe Checkout; they are added when Stripe confirms the payment. */
export function TopUp() {
  const { workspace } = useWorkspace()
  const [credits, setCredits] = useState(PACKS[0]!)
  const name = useId()
  const buy = useStripeRedirect((n: number) => startTopup(workspace.id, n))
  return (
    <Card
      title="Buy credits"
      description="Credits bought once are added to the balance and do not expire with the month."
    >
      <form
        onSubmit={(e) => {
          e.preventDefault()
          buy.mutate(credits)
        }}
      >
        <fieldset>
          <legend className="sr-only">Credits to buy</legend>
          <div className="flex flex-wrap gap-2">
            {PACKS.map((n) => (
              <label
                key={n}
                className={cx(
                  'flex cursor-pointer items-center gap-2 rounded-md border',
                  'border-slate-300 px-3 py-2 text-sm has-[:checked]:border-indigo-600',
                  'has-[:checked]:bg-indigo-50',
                )}
              >
                <input
                  type="radio"
                  name={name}
                  value={n}
                  checked={credits === n}
                  onChange={() => setCredits(n)}
                  className="accent-indigo-600"
                />
                {formatCount(n)} credits
              </label>
            ))}
          </div>
        </fieldset>
        <p className="mt-3 text-sm text-slate-600">You see the price on Stripe before you pay.</p>
        {buy.isError && (
          <Alert tone="error" title="Checkout could not start" className="mt-3">
            {errorMessage(buy.error)}
          </Alert>
        )}
        <Button type="submit" className="mt-4" pending={buy.isPending}>
          Buy {formatCount(credits)} credits
        </Button>
      </form>
    </Card>
  )
}
