import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Most files evaluate the whole program under Pulumi's mock engine, whose runtime is
    // global state: forks give every file a process, and so a runtime, of its own.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    allowOnly: false,
  },
});
