import { randomUUID } from 'node:crypto'
import { loadConfig } from '../src/config.ts'
import { createContainer } from '../src/container.ts'
import { AppError } from '../src/platform/http/errors.ts'

/**
 * `npm run operator -- <command>`: the operator API from a shell, on the database of DATABASE_URL (or PGlite in DATA_DIR).
 *   plan <workspaceId> <plan> "<reason>"      assign a plan and grant its monthly credits once this month (self-hosted mode)
 *   grant <workspaceId> <credits> "<reason>"  grant credits (negative: an adjustment)
 */
const USAGE =
  'usage: npm run operator -- plan <workspaceId> <plan> "<reason>"\n       npm run operator -- grant <workspaceId> <credits> "<reason>"'

const [command, workspaceId, value, reason] = process.argv.slice(2)
if (!command || !workspaceId || !value || !reason || !['plan', 'grant'].includes(command)) {
  console.error(USAGE)
  process.exit(2)
}

const c = await createContainer(loadConfig(), { supervise: false })
try {
  if (command === 'plan') {
    const result = await c.plans.plans.assign(workspaceId, { plan: value, reason })
    console.log(
      `${workspaceId}: plan ${result.plan.id}; ` +
        `${result.grantedCredits ? `${result.grantedCredits} credits granted` : 'monthly credits already granted this month'}`,
    )
  } else {
    const credits = Number(value)
    if (!Number.isFinite(credits))
      throw new AppError(400, 'credits.invalid_amount', `Not a number of credits: ${value}`)
    const { entry } = await c.credits.credits.operatorGrant(workspaceId, {
      credits,
      reason,
      requestId: `cli:${randomUUID()}`,
    })
    console.log(`${workspaceId}: ${entry.kind} ${entry.amount / 1_000_000} credits (${entry.id})`)
  }
} catch (e) {
  if (!(e instanceof AppError)) throw e
  console.error(`${e.code}: ${e.message}`)
  process.exitCode = 1
} finally {
  await c.close()
}
