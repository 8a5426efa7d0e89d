// vitest.config.mts's settings for the test files of the modules under mutation only
// (stryker.config.mjs sets MUTATION_TESTS).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: (process.env.MUTATION_TESTS ?? "test/**/*.test.ts").split(","),
    pool: "forks",
    // Thousands of runs: their temporary files go under one directory, removed after each.
    globalSetup: ["test/tempDir.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    allowOnly: false,
  },
});
