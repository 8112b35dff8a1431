import { spawn } from 'node:child_process'
import { envSetting } from '../src/config.ts'

/** `npm run dev`: the server with file watching on :3000 and Vite's dev server (proxying /api) on :5173. */
const children = [
  spawn(process.execPath, ['--watch-path=src', '--watch-path=contracts', 'src/main.ts'], {
    stdio: 'inherit',
    env: { ...process.env, LOG_LEVEL: envSetting('LOG_LEVEL') ?? 'info' },
  }),
  spawn(process.execPath, ['node_modules/vite/bin/vite.js', '--config', 'web/vite.config.ts'], { stdio: 'inherit' }),
]
const stop = () => {
  for (const c of children) c.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
for (const c of children)
  c.on('exit', (code) => {
    if (code) {
      stop()
      process.exitCode = code
    }
  })
