import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    setupFiles: ['test/nativeFirst.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Engine tests start ONNX Runtime with threads of its own; two files at a time fit two cores.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
