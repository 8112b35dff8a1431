import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

/** `npm start`: builds the web app if it has not been built, then serves API + web + worker in one process. */
const dist = resolve(process.env.WEB_DIST_DIR ?? 'web/dist', 'index.html')
if (!existsSync(dist)) {
  console.log('Building the web app (first start only)…')
  // A child process: Vite sets NODE_ENV=production in the process that runs it.
  const built = spawnSync(process.execPath, [resolve('node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' })
  if (built.status !== 0) process.exit(built.status ?? 1)
}
const { serve } = await import('../src/main.ts')
await serve()
