import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    // Two files at a time on CI's 2 cores (the default would be one): most e2e time is
    // spent waiting on child processes, and .ci/run must stay well under 10 minutes.
    maxWorkers: 2,
  },
});
