import { defineConfig } from 'vitest/config';

/** The Workers entry in workerd (`wrangler dev`) against the local Postgres. */
export default defineConfig({
  test: {
    include: ['test/workers/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
