// @ts-check
import process from "node:process";
/**
 * Mutation testing (npm run test:mutation): StrykerJS changes the code that carries the
 * platform's promises one small way at a time and runs the tests that cover it; a mutant that
 * no test notices is a promise nobody checks. MUTATE picks the modules (comma-separated paths,
 * default all below); each module is run with the test files that exercise it.
 */
const MODULES = {
  "client/src/quota.ts": ["test/quota.test.ts", "test/client.test.ts"],
  // Not test/client.test.ts: it evaluates the program in a beforeAll (live in mutation runs) and
  // drives rayctl against a fake API server, seconds a mutant; test/clusterSpec.test.ts checks the
  // same refusals and objects in-process.
  "client/src/clusterSpec.ts": ["test/clusterSpec.test.ts"],
  "render/rayCluster.ts": ["test/rayClusterRender.test.ts", "test/render.test.ts"],
  "render/rayClusterAdmission.ts": ["test/security.test.ts", "test/admission.test.ts"],
  // Test files that evaluate the program in a beforeAll (test/kueue.test.ts, test/team.test.ts,
  // test/security.test.ts) make every mutant of these two "static", run by all their tests at
  // 20 s and more a mutant: the focused files check the same promises without the program.
  "render/tenancy.ts": ["test/tenancy.test.ts", "test/render.test.ts"],
  "config/kueue.ts": ["test/teamQueue.test.ts", "test/configReference.test.ts"],
  // Not test/plan.test.ts: it runs the plan CLI in subprocesses, where the vitest runner activates
  // no mutant (it passes the active mutant to its own workers only), so it killed none, slowly.
  "plan/report.ts": ["test/report.test.ts", "test/diff.test.ts"],
};
const chosen = process.env.MUTATE ? process.env.MUTATE.split(",") : Object.keys(MODULES);
const unknown = chosen.filter((m) => !(m in MODULES));
if (unknown.length > 0)
  throw new Error(`MUTATE: ${unknown.join(", ")} is not one of ${Object.keys(MODULES).join(", ")}`);

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "vitest.mutation.config.mts", related: false },
  mutate: chosen,
  coverageAnalysis: "perTest",
  // vitest does not type-check: no `// @ts-nocheck` in the sandbox's files (test/client.test.ts compares one with docs/sdk.md).
  disableTypeChecks: false,
  concurrency: 2,
  timeoutMS: 60_000,
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  // e2e/ stays: the kind workflow's team files are test data (test/kueue.test.ts).
  ignorePatterns: ["client/python", "real", "fuzz", "bench", "plan-out", "reports", ".stryker-tmp"],
};
process.env.MUTATION_TESTS = [
  ...new Set(chosen.flatMap((m) => MODULES[/** @type {keyof typeof MODULES} */ (m)])),
].join(",");
