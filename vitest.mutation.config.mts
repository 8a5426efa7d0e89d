// The test files of the modules under mutation (stryker.config.mjs sets MUTATION_TESTS).
import { defineConfig } from "vitest/config";
import base from "./vitest.config.mts";

export default defineConfig({ ...base, test: { ...base.test, include: (process.env.MUTATION_TESTS ?? "test/**/*.test.ts").split(",") } });
