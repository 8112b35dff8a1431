import { spawn, type ChildProcess } from 'node:child_process'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

const freePort = () =>
  new Promise<number>((ok, fail) => {
    const s = createNetServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => ok(port))
    })
  })

export type ServerProcess = { base: string; child: ChildProcess; output: () => string; kill: () => Promise<void> }

/**
 * `node src/main.ts` (serve) as a second process, as production starts it, with `env` (DATABASE_URL, PUBLIC_URL, …;
 * PORT and HOST are chosen here); resolves once /healthz answers.
 */
export const startServerProcess = async (env: Record<string, string>): Promise<ServerProcess> => {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      PUBLIC_URL: base,
      RUN_WORKER: 'false',
      WEB_DIST_DIR: './.tmp/no-web',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
  })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString()
  })
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString()
  })
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()))
  const alive = () => child.exitCode === null && child.signalCode === null
  const deadline = Date.now() + 90_000
  for (;;) {
    if (!alive()) throw new Error(`the server exited before it was ready:\n${output}`)
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break
    if (Date.now() > deadline) throw new Error(`the server was not ready in 90 s:\n${output}`)
    await sleep(200)
  }
  return {
    base,
    child,
    output: () => output,
    kill: async () => {
      if (alive()) {
        child.kill('SIGKILL')
        await exited
      }
    },
  }
}
