import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration tests start real broker processes; two cores do not gain from more workers.
    maxWorkers: 2,
  },
});
