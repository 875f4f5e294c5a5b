import { defineConfig } from 'vitest/config';

// The VM tier (scripts/vm/run.ts runs it inside the VM): real cgroup v2, slowly, under TCG.
export default defineConfig({
  // The checkout is read-only inside the VM.
  cacheDir: '/tmp/vite-cache',
  test: {
    include: ['test/vm/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    reporters: ['default'],
  },
});
