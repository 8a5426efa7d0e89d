import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each file evaluates the whole program under Pulumi's mock engine; forks keep one
    // @pulumi/pulumi runtime per file.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    allowOnly: false,
  },
});
