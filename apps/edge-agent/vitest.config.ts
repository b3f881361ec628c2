import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start their own nats-server and run onnxruntime; one file at a time keeps CPU-time
    // based energy figures and timings sane.
    fileParallelism: false,
  },
});
