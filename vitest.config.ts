import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

const shared = {
  include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  exclude: ['test/e2e/**', 'node_modules/**'],
  testTimeout: 30_000,
  hookTimeout: 60_000,
  // Migrates once per run: a PGlite dump and a PostgreSQL template each test context starts from.
  globalSetup: ['test/global-setup.ts'],
}

/** Every suite runs on PGlite; with TEST_DATABASE_URL set, the same suites run again on PostgreSQL. */
export default defineConfig({
  test: {
    pool: 'forks',
    // Vitest's default (cores − 1) is one worker on a 2-core CI machine; a PostgreSQL file mostly waits on the server,
    // so two workers halve its wall time there (bench/README.md, "test suite").
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // A worker runs its files one after another in one module graph instead of a fresh one per file: PGlite's WebAssembly
    // and the app's modules are loaded once per worker, not once per file (whole suite 1 301 s → 555 s here, bench/README
    // "test suite"). Every test builds its own app, database and fakes, so nothing a file leaves in a module is read by
    // the next one.
    isolate: false,
    projects: [
      { extends: true, test: { ...shared, name: 'pglite', env: { TEST_DRIVER: 'pglite' } } },
      ...(process.env.TEST_DATABASE_URL
        ? [{ extends: true, test: { ...shared, name: 'postgres', env: { TEST_DRIVER: 'postgres' } } }]
        : []),
    ],
  },
})
