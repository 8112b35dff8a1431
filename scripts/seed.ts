import { loadConfig } from '../src/config.ts'
import { createContainer } from '../src/container.ts'

/**
 * `npm run seed`: a demo account to click through — demo@camarad.local / "try camarad today",
 * owning "Demo Agency" with two clients. Safe to run twice.
 */
const EMAIL = 'demo@camarad.local'
const PASSWORD = 'try camarad today'
const meta = { ip: '127.0.0.1', userAgent: 'seed', requestId: 'seed' }

const config = loadConfig()
const c = await createContainer(config, { supervise: false })
try {
  const existing = await c.identity.identity.userIdByEmail(EMAIL)
  if (existing) {
    console.log(`Already seeded: log in as ${EMAIL} / ${PASSWORD}`)
  } else {
    const { user } = await c.identity.identity.signup({ email: EMAIL, password: PASSWORD, name: 'Demo Owner' }, meta)
    const { workspace } = await c.tenancy.tenancy.createWorkspace(user.id, 'Demo Agency', meta, 'Bakery Rossi')
    await c.tenancy.clients.create(
      { userId: user.id, workspaceId: workspace.id, role: 'owner' },
      { name: 'Studio Verde', website: 'https://studio-verde.example' },
      meta,
    )
    console.log(`Seeded: log in as ${EMAIL} / ${PASSWORD}`)
  }
} finally {
  await c.close()
}
