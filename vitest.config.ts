import { defineConfig } from 'vitest/config';

// One suite, three tiers: pure core (src/**), adapters against real local processes
// (test/adapters), the full flow against real dockerd + HAProxy (test/integration).
// Files run one at a time: the integration tiers share one Docker engine and two cores.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
