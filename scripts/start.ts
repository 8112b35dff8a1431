import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { envSetting } from '../src/config.ts'

/**
 * `npm start`: builds the web app when it has not been built — or, in a source checkout, when a web or contracts
 * source is newer than the build (after a pull) — then serves API + web + worker in one process.
 */
const dist = resolve(envSetting('WEB_DIST_DIR') ?? 'web/dist', 'index.html')
const SOURCES = ['web/src', 'web/index.html', 'web/vite.config.ts', 'contracts']

/** The newest modification time under the web app's sources (0 when there are none, e.g. in an image with only the build). */
const newestSource = (path: string): number => {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...readdirSync(path).map((name) => newestSource(join(path, name))))
}

const built = existsSync(dist) ? statSync(dist).mtimeMs : 0
const stale = built > 0 && Math.max(...SOURCES.map((s) => newestSource(resolve(s)))) > built
if (!built || stale) {
  console.log(
    stale
      ? 'Rebuilding the web app (its sources changed since the last build)…'
      : 'Building the web app (first start only)…',
  )
  // A child process: Vite sets NODE_ENV=production in the process that runs it.
  const build = spawnSync(
    process.execPath,
    [resolve('node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    { stdio: 'inherit' },
  )
  if (build.status !== 0) process.exit(build.status ?? 1)
}
const { serve } = await import('../src/main.ts')
await serve()
