import { defineConfig } from 'vitest/config';

// One real VS Code at a time: the files run one after another in a single fork, and a
// test may take a minute (code-server start, extension host, model load on two cores).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
