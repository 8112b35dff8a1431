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
    projects: [
      { extends: true, test: { ...shared, name: 'pglite', env: { TEST_DRIVER: 'pglite' } } },
      ...(process.env.TEST_DATABASE_URL
        ? [{ extends: true, test: { ...shared, name: 'postgres', env: { TEST_DRIVER: 'postgres' } } }]
        : []),
    ],
  },
})
