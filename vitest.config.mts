import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// swc keeps the decorator metadata Nest's dependency injection reads; esbuild would drop it.
const plugins = [swc.vite({ module: { type: 'es6' } })];

export default defineConfig({
  plugins,
  test: {
    globals: false,
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        plugins,
        test: { name: 'unit', include: ['src/**/*.spec.ts'], environment: 'node' },
      },
      {
        plugins,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          // Every answer is checked against openapi.json (test/support/openapi-validation.ts).
          setupFiles: ['test/support/openapi-setup.ts'],
          globalSetup: ['test/support/openapi-coverage.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins,
        test: {
          // Real pages in headless Chromium (Debian's package, which .ci/run installs).
          name: 'browser',
          include: ['test/**/*.browser-spec.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins,
        test: {
          // Processes of a production build (npm run build first) against PostgreSQL and Redis.
          name: 'scale',
          include: ['test/scale/**/*.scale-spec.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
