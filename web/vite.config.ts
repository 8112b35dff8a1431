import { resolve } from 'node:path'
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'
import tailwindcss from '@tailwindcss/vite'

const apiTarget = process.env.CAMARAD_API_URL ?? 'http://localhost:3000'
const proxied = { target: apiTarget, changeOrigin: false }

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), tailwindcss()],
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
