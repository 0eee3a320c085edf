import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          // Each e2e file starts its own fleet of real sshd processes on distinct 127.0.0.x addresses;
          // two files at a time keeps a 2-core CI machine responsive without serialising everything.
          maxWorkers: 2,
          fileParallelism: true,
          // Vitest 4 refuses projects with different maxWorkers in one group: unit tests run first, then these.
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
