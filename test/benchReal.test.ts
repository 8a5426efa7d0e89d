/**
 * The real engine's benchmark (bench/real.ts) refuses options it cannot run before it starts
 * anything: a typo would otherwise set off its 45-minute default run.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect, test } from "vitest";
import { tsNodeArgv } from "../plan/nodeArgs";
import { PROJECT_DIR } from "./mocks";

const exec = promisify(execFile);

/** bench/real.ts run with these options: its exit code and what it wrote. */
async function benchReal(...args: string[]) {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      tsNodeArgv(PROJECT_DIR, path.join(PROJECT_DIR, "bench/real.ts"), args),
      { cwd: PROJECT_DIR, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test("bench/real.ts refuses an unknown option, a bad --teams list and --quick with --teams, naming what to give", async () => {
  const cases: [string[], RegExp][] = [
    [["--team", "10"], /Unknown option '--team'/],
    [["--teams", "0"], /--teams 0: give whole numbers of teams, e.g. --teams 100/],
    [["--teams=10,x"], /--teams 10,x: give whole numbers of teams/],
    [["--teams", "10", "--quick"], /--quick and --teams: give one of them/],
  ];
  const results = await Promise.all(cases.map(([args]) => benchReal(...args)));
  for (const [i, [args, message]] of cases.entries()) {
    const r = results[i]!;
    expect(r.code, args.join(" ")).toBe(2);
    expect(r.stderr, args.join(" ")).toMatch(message);
    // With the usage, and before anything ran: no row was measured.
    expect(r.stderr).toContain("usage: npm run bench:real");
    expect(r.stdout).toBe("");
  }
});
