/**
 * The benchmark works (bench/run.ts --quick): it measures every team count and reports sane
 * figures. Timings are never checked; they depend on the machine and its load.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect, test } from "vitest";
import type { DiffTiming, Row, Stats, Target } from "../bench/run";

const PROJECT_DIR = path.join(__dirname, "..");

test(
  "bench --quick measures 1, 10 and 100 teams and writes the table and JSON",
  async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ray-platform-bench-test-")), "results.json");
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "bench/run.ts", "--quick", "--out", out], { cwd: PROJECT_DIR });
    const results = JSON.parse(fs.readFileSync(out, "utf8")) as { rows: Row[]; targets: Target[]; diff: DiffTiming };
    const rows = results.rows;

    expect(rows.map((r) => r.teams)).toEqual([1, 10, 100]);
    for (const n of [1, 10, 100]) expect(stdout).toMatch(new RegExp(`^\\s*${n}\\s+1\\s+\\d+\\s`, "m"));
    expect(rows[0].resources).toBeLessThan(rows[1].resources);
    expect(rows[1].resources).toBeLessThan(rows[2].resources);

    const positive = (x: unknown) => expect(typeof x === "number" && Number.isFinite(x) && x > 0, String(x)).toBe(true);
    const positiveStats = (s: Stats) => [s.median, s.min, s.max, ...s.runs].forEach(positive);
    for (const r of rows) {
      expect(r.runs).toBe(1);
      [r.resources, r.programToFloor, r.programPeakRssMiB].forEach(positive);
      [r.validationMs, r.programMs, r.floorMs].forEach(positiveStats);
    }
    // A difference of single runs: noise may make it negative, but it is always a number.
    expect(rows[0].marginalMsPerTeam).toBeNull();
    for (const r of rows.slice(1)) expect(Number.isFinite(r.marginalMsPerTeam)).toBe(true);

    // plan and plan --diff at the largest count, as a user runs them.
    expect(results.diff.teams).toBe(100);
    [results.diff.planMs, results.diff.diffMs].forEach(positiveStats);
    expect(stdout).toMatch(/npm run plan at 100 teams: \d+ ms; with --diff main \(one team changed\): \d+ ms \(\d+\.\d\dx\)/);

    // The targets are about 1000 teams: printed, marked not measured in quick mode.
    expect(results.targets).toHaveLength(5);
    for (const t of results.targets) expect(t.pass).toBeNull();
    expect(stdout).toContain("targets");
  },
  5 * 60_000,
);
