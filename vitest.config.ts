import { defineConfig } from 'vitest/config';

// Three tiers, each a vitest project (`npm run test:unit`, `test:adapters`, `test:integration`):
//   unit         pure core and modules beside their source, plus static checks: no Docker, no HAProxy
//   adapters     the adapters against real local processes (a real haproxy binary, local HTTP servers)
//   integration  the full flow against a real dockerd and HAProxy
// Files run one at a time: the real-process tiers share one Docker engine and two cores.
export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // The CLIs the tests spawn inherit this: many tests assert their exact stderr, and on an
    // end-of-life Node (the machine's own Node 20) the first of them would say the warning.
    // src/cli/node-support.test.ts tests the warning itself.
    env: { LINKSWITCH_NODE_WARNING: 'off' },
    projects: [
      // extends: the timeouts above apply to every project (inline projects do not inherit them otherwise).
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts', 'bench/**/*.test.ts', 'test/static/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'adapters',
          include: ['test/adapters/**/*.test.ts'],
          globalSetup: ['test/support/global-setup-haproxy.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
