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
    projects: [
      { extends: true, test: { ...shared, name: 'pglite', env: { TEST_DRIVER: 'pglite' } } },
      ...(process.env.TEST_DATABASE_URL
        ? [{ extends: true, test: { ...shared, name: 'postgres', env: { TEST_DRIVER: 'postgres' } } }]
        : []),
    ],
  },
})
