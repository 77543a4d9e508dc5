import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The integration tests mostly wait (npm installing a hook, git, child processes): on a
    // 2-core CI machine, running a few files at once overlaps those waits.
    maxWorkers: 4,
  },
});
