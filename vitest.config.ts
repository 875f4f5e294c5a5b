import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Integration tests share one registry and one unprivileged user; files run one at a time.
    fileParallelism: false,
    reporters: ['default'],
  },
});
