import { defineConfig } from "vitest/config";

// Browser and whole-stack tests: one stack (fresh nats-server, fresh Postgres database, built portal, worker)
// for the run, started by e2e/global-setup.ts; the specs drive Debian's Chromium through playwright-core.
export default defineConfig({
  test: {
    include: ["e2e/**/*.spec.ts"],
    globalSetup: ["e2e/global-setup.ts"],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    fileParallelism: false,
    pool: "forks",
  },
});
