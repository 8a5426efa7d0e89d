import { defineConfig } from "vitest/config";

// The real control plane's scenarios (npm run test:real, inside real/run.sh's network
// namespace): one control plane for the run, started by the global setup; scenario files run
// one after another because they share it.
export default defineConfig({
  test: {
    include: ["real/scenarios/**/*.test.ts"],
    globalSetup: ["real/globalSetup.ts"],
    fileParallelism: false,
    pool: "forks",
    testTimeout: 600_000,
    hookTimeout: 600_000,
    allowOnly: false,
  },
});
