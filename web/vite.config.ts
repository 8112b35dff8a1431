import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { defineConfig, type Plugin } from 'vite'
import react from '@vitejs/plugin-react'
import tailwindcss from '@tailwindcss/vite'

/**
 * Brotli and gzip copies of the built assets beside them (`app-….js.br`, `.gz`): the server sends the one the browser
 * accepts (@fastify/static `preCompressed`), compressed once at build time instead of on every request.
 */
const precompress = (): Plugin => ({
  name: 'camarad-precompress',
  apply: 'build',
  closeBundle() {
    const dir = resolve(import.meta.dirname, 'dist')
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]))
    for (const file of walk(dir).filter((f) => /\.(js|css|html|svg|json|txt)$/.test(f))) {
      const raw = readFileSync(file)
      if (raw.length < 1024) continue
      writeFileSync(`${file}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
      writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }))
    }
  },
})

const apiTarget = process.env.CAMARAD_API_URL ?? 'http://localhost:3000'
const proxied = { target: apiTarget, changeOrigin: false }

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), tailwindcss(), precompress()],
  build: {
    outDir: resolve(import.meta.dirname, 'dist'),
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/api': proxied,
      '/healthz': proxied,
      '/v1': proxied,
    },
  },
})
