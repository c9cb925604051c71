import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration tests start real broker processes; two cores do not gain from more workers.
    maxWorkers: 2,
    // The contexts of whoever runs the tests (~/.config/rsb) must not steer the CLI processes they start:
    // a test that wants contexts gives its own RSB_CONFIG_DIR.
    env: { RSB_CONFIG_DIR: join(tmpdir(), 'rsb-tests-have-no-contexts'), RSB_CONTEXT: '' },
  },
});
