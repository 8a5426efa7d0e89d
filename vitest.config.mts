import * as os from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Most files evaluate the whole program under Pulumi's mock engine, whose runtime is
    // global state: forks give every file a process, and so a runtime, of its own.
    pool: "forks",
    // vitest's default is one worker fewer than the cores, which is one on a 2-core machine:
    // the main process only waits for the workers, so every core runs a test file.
    maxWorkers: os.availableParallelism(),
    // Temporary files under one directory removed after the run; one evaluation of each repo
    // stack shared by the files that read it (test/mocks.ts sharedStack).
    globalSetup: ["test/tempDir.ts", "test/stackCache.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    allowOnly: false,
    // The tests of a file run in a new order every run (the seed is printed: --sequence.seed
    // repeats one), so a test that needs another's leftovers fails here first. Files keep
    // vitest's order, slowest first; each has its own process anyway.
    sequence: { shuffle: { files: false, tests: true } },
  },
});
