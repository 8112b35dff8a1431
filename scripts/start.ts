import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

/** `npm start`: builds the web app if it has not been built, then serves API + web + worker in one process. */
const dist = resolve(process.env.WEB_DIST_DIR ?? 'web/dist', 'index.html')
if (!existsSync(dist)) {
  console.log('Building the web app (first start only)…')
  const { build } = await import('vite')
  await build({ configFile: resolve('web/vite.config.ts'), logLevel: 'warn' })
}
const { serve } = await import('../src/main.ts')
await serve()
