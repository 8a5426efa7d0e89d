/**
 * The real engine's cost (npm run bench, through real/run.sh --bench): the real stack (the
 * dev stack's pools in mode existing) with the repository's teams, and with 1, 10 and 100
 * synthetic teams (bench/teams.ts), each on a fresh real control plane: `pulumi preview` and
 * `up` from nothing, then a second preview, beside the offline plan's time for the same files.
 * Prints a table and writes bench/real-results.json (USAGE below for the options). The Pulumi
 * CLI inherits this environment, so `PULUMI_SKIP_CHECKPOINTS=true npm run bench:real -- --teams
 * 100` measures an up that writes its state once, at the end; each row records whether it did.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { tsNodeArgv } from "../plan/nodeArgs";
import { startReal } from "../real/globalSetup";
import { ControlPlaneClient } from "../real/controlPlane";
import { STACK, TestStack } from "../real/stack";
import { writeTeams } from "./teams";

const USAGE = `usage: npm run bench:real -- [options]

  (none)            the repository's teams, then 1, 10 and 100 synthetic teams (about 45 minutes)
  --quick           the repository's teams only
  --teams LIST      these numbers of synthetic teams only, e.g. --teams 100 or --teams 1,10
`;

interface Row {
  readonly teams: string;
  readonly resources: number;
  readonly planSeconds: number;
  readonly previewSeconds: number;
  readonly upSeconds: number;
  readonly secondPreviewSeconds: number;
  /** The CLI kept the state in memory and wrote it once, at the end (PULUMI_SKIP_CHECKPOINTS). */
  readonly skipCheckpoints: boolean;
}

/** As the Pulumi CLI reads a boolean variable: "1" or "true" in any case (sdk/go/common/util/env/env.go). */
const skipCheckpoints = ["1", "true"].includes(process.env.PULUMI_SKIP_CHECKPOINTS?.toLowerCase() ?? "");

const timed = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t = Date.now();
  const r = await f();
  return [r, (Date.now() - t) / 1000];
};

async function measure(label: string, teams: number | undefined): Promise<Row> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rp-bench-"));
  const { context, stop } = await startReal(dir);
  try {
    const project = context.projectDir;
    if (teams !== undefined) {
      const teamsDir = path.join(dir, "teams");
      writeTeams(teamsDir, teams);
      const stackFile = path.join(project, `Pulumi.${STACK}.yaml`);
      fs.writeFileSync(
        stackFile,
        fs
          .readFileSync(stackFile, "utf8")
          .replace("ray-platform:teamsDir: teams", `ray-platform:teamsDir: ${teamsDir}`),
      );
    }
    const [, planSeconds] = await timed(() =>
      execFileSync(
        process.execPath,
        // As `npm run plan` runs it: with Pulumi.yaml's node options.
        tsNodeArgv(project, "plan/cli.ts", [
          "--stack",
          STACK,
          "--quiet",
          "--json",
          path.join(dir, "plan.json"),
        ]),
        { cwd: project, stdio: "pipe" },
      ),
    );
    const resources = JSON.parse(fs.readFileSync(path.join(dir, "plan.json"), "utf8")).resources.length;
    const stack = new TestStack(project, new ControlPlaneClient(context.controlPlane), context.stateDir);
    const check = (op: string, r: { ok: boolean; error?: string; log: string }) => {
      if (!r.ok) throw new Error(`pulumi ${op} of ${label} failed: ${r.error}; see ${r.log}`);
    };
    const [preview, previewSeconds] = await timed(() => stack.preview());
    check("preview", preview);
    const [up, upSeconds] = await timed(() => stack.up());
    check("up", up);
    const [again, secondPreviewSeconds] = await timed(() => stack.preview());
    check("second preview", again);
    return {
      teams: label,
      resources,
      planSeconds,
      previewSeconds,
      upSeconds,
      secondPreviewSeconds,
      skipCheckpoints,
    };
  } finally {
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The sizes to measure, from the command line; undefined after printing why not. */
function sizes(argv: string[]): [string, number | undefined][] | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { quick: { type: "boolean", default: false }, teams: { type: "string" } },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return undefined;
  }
  if (values.teams === undefined)
    return values.quick
      ? [["repository's", undefined]]
      : [
          ["repository's", undefined],
          ["1", 1],
          ["10", 10],
          ["100", 100],
        ];
  const counts = values.teams.split(",").map(Number);
  const problem = values.quick
    ? "--quick and --teams: give one of them (--quick measures the repository's teams only)"
    : counts.every((n) => Number.isInteger(n) && n > 0)
      ? undefined
      : `--teams ${values.teams}: give whole numbers of teams, e.g. --teams 100 or --teams 1,10`;
  if (problem) {
    process.stderr.write(`${problem}\n\n${USAGE}`);
    return undefined;
  }
  return counts.map((n) => [String(n), n]);
}

async function main(): Promise<void> {
  const measured = sizes(process.argv.slice(2));
  if (!measured) process.exit(2);
  const rows: Row[] = [];
  for (const [label, n] of measured) {
    rows.push(await measure(label, n));
    const r = rows.at(-1)!;
    console.log(
      `${r.teams} team${r.teams === "1" ? "" : "s"}${skipCheckpoints ? " (state written once)" : ""}: ${r.resources} resources, plan ${r.planSeconds.toFixed(1)} s, preview ${r.previewSeconds.toFixed(1)} s, up ${r.upSeconds.toFixed(1)} s, second preview ${r.secondPreviewSeconds.toFixed(1)} s`,
    );
  }
  const ms = (s: number, n: number) => `${((s * 1000) / n).toFixed(0)} ms`;
  // Unsafe for real stacks (an up killed on the way records nothing it did): label the figures.
  console.log(
    `\nThe real engine against a real control plane (fresh for each row), beside the offline plan${skipCheckpoints ? ", the state written once at the end (PULUMI_SKIP_CHECKPOINTS)" : ""}:\n`,
  );
  console.log(
    "| teams | resources | offline plan | preview (from nothing) | up (from nothing) | preview, no change | per resource: plan, preview, up |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows)
    console.log(
      `| ${r.teams} | ${r.resources} | ${r.planSeconds.toFixed(1)} s | ${r.previewSeconds.toFixed(1)} s | ${r.upSeconds.toFixed(1)} s | ${r.secondPreviewSeconds.toFixed(1)} s | ${ms(r.planSeconds, r.resources)}, ${ms(r.previewSeconds, r.resources)}, ${ms(r.upSeconds, r.resources)} |`,
    );
  fs.writeFileSync(
    path.join(__dirname, "real-results.json"),
    JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, rows }, null, 2),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
