/**
 * vitest's global setup: every temporary file of a test run (team directories, plan outputs,
 * scratch git repositories, and those of the subprocesses the tests start) goes under one
 * directory, removed when the run ends. Tests made them with mkdtemp and left them: a day of
 * test and mutation runs left 11,000 directories in /tmp. os.tmpdir() reads TMPDIR, and the
 * test workers and their subprocesses inherit it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export default function setup(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ray-platform-test-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
