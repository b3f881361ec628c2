import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each integration suite starts its own nats-server and database; running them one at a time keeps
    // the optimizer's CPU use from skewing the others.
    fileParallelism: false,
  },
});
