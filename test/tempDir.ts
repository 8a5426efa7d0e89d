/**
 * vitest's global setup: every temporary file of a test run (team directories, plan outputs,
 * scratch git repositories, and those of the subprocesses the tests start) goes under one
 * directory, removed when the run ends. Tests made them with mkdtemp and left them: a day of
 * test and mutation runs left 11,000 directories in /tmp. os.tmpdir() reads TMPDIR, and the
 * test workers and their subprocesses inherit it. The user's cache directory is the run's too
 * (XDG_CACHE_HOME): what the tests cache (`plan --diff`'s base plans, parsed CRDs) goes with the run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export default function setup(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ray-platform-test-"));
  const previous = { TMPDIR: process.env.TMPDIR, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
  process.env.TMPDIR = dir;
  process.env.XDG_CACHE_HOME = path.join(dir, "cache");
  return () => {
    for (const [name, value] of Object.entries(previous))
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
