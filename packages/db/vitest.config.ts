import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Suites share one Postgres server; each makes its own database, but running them one at a time
    // keeps connection counts and timings predictable.
    fileParallelism: false,
  },
});
