import { defineConfig } from 'vitest/config';

// Three projects so a developer can run the fast ones alone:
//   unit        – pure code and the SDK's own replay, no servers
//   integration – real Azurite / Cosmos-protocol server / local host over HTTP
//   e2e         – the whole app on the local host, and the browser
// Integration and e2e files start servers, so they run one file at a time on these 2-core machines.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
