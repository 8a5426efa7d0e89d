import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/** Scenario files in name order (a-deploy ... h-destroy): they share one control plane. */
class ByName extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId));
  }
}

// The real control plane's scenarios (npm run test:real, inside real/run.sh's network
// namespace): one control plane for the run, started by the global setup; scenario files run
// one after another, in name order, because they share it.
export default defineConfig({
  test: {
    include: ["real/scenarios/**/*.test.ts"],
    globalSetup: ["real/globalSetup.ts"],
    fileParallelism: false,
    sequence: { sequencer: ByName },
    pool: "forks",
    testTimeout: 600_000,
    hookTimeout: 600_000,
    allowOnly: false,
  },
});
