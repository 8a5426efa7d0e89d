/** The run's temporary directory (test/tempDir.ts): what tests and their subprocesses make goes under it. */
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { expect, test } from "vitest";
import { baseCacheDir } from "../plan/revision";
import { teamsDir } from "./mocks";

test("temporary files of a test run go under the run's own directory, subprocesses' too", () => {
  const runDir = os.tmpdir();
  expect(path.basename(runDir)).toMatch(/^ray-platform-test-/);
  expect(path.dirname(teamsDir({}, { withRepoTeams: false }))).toBe(runDir);
  const fromChild = execFileSync(process.execPath, ["-p", "require('node:os').tmpdir()"], {
    encoding: "utf8",
  });
  expect(fromChild.trim()).toBe(runDir);
});

test("the user's cache directory of a test run is inside the run's directory", () => {
  expect(process.env.XDG_CACHE_HOME).toBe(path.join(os.tmpdir(), "cache"));
  expect(baseCacheDir().startsWith(`${os.tmpdir()}${path.sep}`)).toBe(true);
});
