/**
 * Benchmark: what the program costs as the platform grows. For N synthetic teams (plus the
 * repo's ray-playground), each measured in fresh child processes (bench/child.ts):
 * validation alone, the whole program under the mock engine, the floor (the program's
 * resources registered directly, nothing else) and the SDK floor (the same through the SDK's
 * classes, as the program makes them); at the largest count, `npm run plan` against
 * `npm run plan -- --diff` of a one-team change. Prints a table and the targets; writes JSON.
 *
 *   npx tsx bench/run.ts [--quick] [--runs K] [--out FILE] [--teams 1,10,100,1000]
 *                        [--budget MINUTES] [--jobs J] [--cpu-prof DIR]
 *
 * Exits 0 whatever the figures; non-zero only when the benchmark itself fails (a child fails,
 * the floor and the program disagree, or more teams do not register more resources). CI runs
 * `--quick` after the tests to show it works; nothing checks the timings.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs, promisify } from "node:util";
import { projectNodeArgs, tsNodeArgv } from "../plan/nodeArgs";
import { writeTeams } from "./teams";

const PROJECT_DIR = path.join(__dirname, "..");
const CHILD = path.join(__dirname, "child.ts");

const USAGE = `usage: npx tsx bench/run.ts [options]

  --quick           1, 10 and 100 teams, 1 run each, 2 children at a time (indicative figures)
  --runs K          runs per team count and measurement (default 3)
  --teams LIST      team counts (default 1,10,100,1000)
  --budget MIN      after the first run of every count, add runs only while they fit in
                    MIN minutes of wall time (default 9: the full run stays under 10)
  --jobs J          children at a time (default 1; more skews timings)
  --out FILE        results JSON (default bench/results.json)
  --cpu-prof DIR    write a CPU profile of every program run to DIR (slows them down)
`;

interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

interface Row {
  /** Synthetic teams; the teams directory also holds ray-playground. */
  teams: number;
  runs: number;
  resources: number;
  validationMs: Stats;
  programMs: Stats;
  floorMs: Stats;
  /** The same resources through the SDK classes the program uses, with its providers and dependencies. */
  sdkFloorMs: Stats;
  /** Median program time over median SDK floor time: the program's own share. */
  programToSdkFloor: number;
  /** Median program time over median floor time. */
  programToFloor: number;
  /** (program ms - previous row's) / (teams - previous row's); null on the first row. */
  marginalMsPerTeam: number | null;
  /** Median over the program runs of each one's peak RSS. */
  programPeakRssMiB: number;
  /** Largest peak RSS of the program runs. */
  programPeakRssMaxMiB: number;
  /** Resources by type, over the synthetic teams (what each team adds, with the fixed part spread over them). */
  perTeamByType: Record<string, number>;
}

interface Target {
  name: string;
  value: string;
  pass: boolean | null;
}

interface ChildResult {
  ms: number;
  maxRssKB: number;
  resources?: number;
  byType?: Record<string, number>;
}

const exec = promisify(execFile);

/** `npm run plan` and `npm run plan -- --diff main` at one team count, in a scratch git repository. */
interface DiffTiming {
  teams: number;
  planMs: Stats;
  /** --diff with the base planned beside the head (--fresh-base: what the first --diff against a base costs). */
  diffMs: Stats;
  /** --diff with the base's plan in the cache (every later --diff against the same base). */
  cachedDiffMs: Stats;
  /** Median --diff time over median plan time. */
  diffToPlan: number;
  cachedDiffToPlan: number;
  /** Peak RSS of the plan's processes together (head, and the base's child), median over the runs. */
  planPeakMiB: Stats;
  diffPeakMiB: Stats;
  cachedDiffPeakMiB: Stats;
}

/** The wall time of the plan CLI in `repo`, as a user runs it, and the peak RSS of its processes together. */
async function planCli(
  repo: string,
  args: string[],
  cacheHome: string,
): Promise<{ ms: number; peakMiB: number }> {
  const t0 = performance.now();
  const run = exec(
    process.execPath,
    tsNodeArgv(repo, path.join(PROJECT_DIR, "plan", "cli.ts"), ["--project-dir", repo, "--quiet", ...args]),
    { cwd: repo, maxBuffer: 1 << 30, env: { ...process.env, XDG_CACHE_HOME: cacheHome } },
  );
  const rss = treeRss(run.child.pid!);
  await run.catch((err) => {
    throw new Error(`npm run plan -- ${args.join(" ")} failed:\n${err.stderr || err.message}`);
  });
  const ms = performance.now() - t0;
  return { ms, peakMiB: rss.stop() };
}

/**
 * The peak, sampled every 50 ms, of the summed RSS of process `root` and its descendants (a
 * --diff's base runs in a child process): /proc's stat of every process, parents followed.
 */
function treeRss(root: number): { stop(): number } {
  const page = 4096;
  let peak = 0;
  const sample = () => {
    const parent = new Map<number, number>();
    const rss = new Map<number, number>();
    for (const name of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile
      }
      // After "pid (comm) ": state ppid ... rss is the 22nd field from there (man 5 proc).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(name), Number(fields[1]));
      rss.set(Number(name), Number(fields[21]) * page);
    }
    let total = 0;
    for (const [pid, bytes] of rss) {
      let p: number | undefined = pid;
      while (p !== undefined && p !== root && p > 1) p = parent.get(p);
      if (p === root) total += bytes;
    }
    peak = Math.max(peak, total);
  };
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      return peak / 2 ** 20;
    },
  };
}

/** A repository whose main has `teamsDir`'s teams, and a work tree that changes one team's CPU quota. */
function diffRepo(tmp: string, teamsDir: string): string {
  const repo = path.join(tmp, "diff-repo");
  fs.cpSync(PROJECT_DIR, repo, {
    recursive: true,
    filter: (src) => !/node_modules|\.git$|\/\.git\/|\/bench\/results/.test(src),
  });
  fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(repo, "node_modules"));
  fs.rmSync(path.join(repo, "teams"), { recursive: true });
  fs.cpSync(teamsDir, path.join(repo, "teams"), { recursive: true });
  const git = (...a: string[]) =>
    execFileSync("git", ["-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com", ...a]);
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "base");
  const [first] = fs.readdirSync(path.join(repo, "teams")).sort();
  if (first === undefined) throw new Error(`${teamsDir} has no team files to change`);
  const file = path.join(repo, "teams", first);
  fs.writeFileSync(
    file,
    fs.readFileSync(file, "utf8").replace(/^( {2}cpu: )(\S+)/m, (_, k, v) => `${k}${Number(v) + 1}`),
  );
  return repo;
}

/** A measurement in a fresh process, with the node options the program runs with (Pulumi.yaml's nodeargs). */
async function child(args: string[], extraNodeArgs: string[] = []): Promise<ChildResult> {
  const argv = [...extraNodeArgs, ...tsNodeArgv(PROJECT_DIR, CHILD, args)];
  const { stdout } = await exec(process.execPath, argv, {
    cwd: PROJECT_DIR,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err) => {
    throw new Error(`bench/child.ts ${args.join(" ")} failed:\n${err.stderr || err.message}`);
  });
  // The result is the last line; anything the program logs comes before it.
  return JSON.parse(stdout.trim().split("\n").pop()!) as ChildResult;
}

function stats(runs: number[]): Stats {
  const s = [...runs].sort((a, b) => a - b);
  const [min, max] = [s.at(0), s.at(-1)];
  if (min === undefined || max === undefined) throw new Error("stats of no runs");
  // The middle run, or the mean of the two middle ones.
  const middle = s.slice(Math.floor((s.length - 1) / 2), Math.floor(s.length / 2) + 1);
  return { median: middle.reduce((a, b) => a + b, 0) / middle.length, min, max, runs };
}

/** Run `fn` over `items`, at most `jobs` at a time, in order. */
async function pool<T>(items: T[], jobs: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

const OPTIONS = {
  quick: { type: "boolean", default: false },
  runs: { type: "string" },
  teams: { type: "string" },
  budget: { type: "string", default: "9" },
  jobs: { type: "string" },
  out: { type: "string", default: path.join(__dirname, "results.json") },
  "cpu-prof": { type: "string" },
  help: { type: "boolean", default: false },
} as const;

function machine() {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    node: process.version,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const o = parsed.values;
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const counts = [
    ...new Set((o.teams ?? (o.quick ? "1,10,100" : "1,10,100,1000")).split(",").map(Number)),
  ].sort((a, b) => a - b);
  const runs = Number(o.runs ?? (o.quick ? 1 : 3));
  const jobs = Number(o.jobs ?? (o.quick ? 2 : 1));
  const budgetMs = Number(o.budget) * 60_000;
  const maxTeams = counts.at(-1);
  if (
    maxTeams === undefined ||
    [...counts, runs, jobs].some((n) => !Number.isInteger(n) || n < 1) ||
    !(budgetMs > 0)
  ) {
    process.stderr.write(USAGE);
    return 2;
  }
  const profile = o["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(o["cpu-prof"])] : [];

  const m = machine();
  // Other work on the machine skews every figure; the load average shows whether there was any.
  const [loadBefore = NaN] = os.loadavg(); // Node gives three figures
  console.log(
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; load average ${loadBefore.toFixed(1)}`,
  );
  console.log(
    `teams ${counts.join(", ")}; up to ${runs} run(s) each, ${jobs} child(ren) at a time, budget ${o.budget} min`,
  );
  // The program, the floors and the plan run with the options Pulumi.yaml gives node.
  console.log(`node options (Pulumi.yaml nodeargs): ${projectNodeArgs(PROJECT_DIR).join(" ") || "none"}\n`);

  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ray-platform-bench-"));
  const diffSamples = {
    plan: [] as number[],
    diff: [] as number[],
    cachedDiff: [] as number[],
    planPeak: [] as number[],
    diffPeak: [] as number[],
    cachedDiffPeak: [] as number[],
  };
  const samples = new Map(
    counts.map((n) => [
      n,
      {
        validation: [] as number[],
        program: [] as number[],
        floor: [] as number[],
        sdkFloor: [] as number[],
        rssKB: [] as number[],
        resources: 0,
        wallMs: 0,
        byType: {} as Record<string, number>,
      },
    ]),
  );
  try {
    for (const n of counts) {
      writeTeams(path.join(tmp, `teams-${n}`), n);
      fs.copyFileSync(
        path.join(PROJECT_DIR, "teams", "ray-playground.yaml"),
        path.join(tmp, `teams-${n}`, "ray-playground.yaml"),
      );
    }
    // Rounds over every count, so every count gets its first run before any gets a second.
    // Largest first: the targets are about it, and parallel jobs pack best that way.
    const largestFirst = [...counts].sort((a, b) => b - a);
    for (let round = 0; round < runs; round++) {
      await pool(largestFirst, jobs, async (n) => {
        const s = samples.get(n)!;
        if (round > 0 && Date.now() - started + s.wallMs > budgetMs) return;
        const t0 = Date.now();
        const teamsDir = path.join(tmp, `teams-${n}`);
        const dump = path.join(tmp, `resources-${n}.json`);
        s.validation.push((await child(["validate", teamsDir])).ms);
        // The first program run also dumps its resources for the floor.
        const program = await child(["program", teamsDir, ...(round === 0 ? [dump] : [])], profile);
        const floor = await child(["floor", dump]);
        const sdkFloor = await child(["sdkfloor", dump]);
        for (const [what, f] of [
          ["floor", floor],
          ["SDK floor", sdkFloor],
        ] as const)
          if (program.resources !== f.resources)
            throw new Error(
              `${n} teams: the ${what} registered ${f.resources} resources, the program ${program.resources}`,
            );
        s.program.push(program.ms);
        s.floor.push(floor.ms);
        s.sdkFloor.push(sdkFloor.ms);
        s.rssKB.push(program.maxRssKB);
        s.resources = program.resources!;
        s.byType = program.byType ?? s.byType;
        s.wallMs = Math.max(s.wallMs, Date.now() - t0);
        process.stderr.write(
          `  ${n} teams, run ${round + 1}: program ${Math.round(program.ms)} ms, floor ${Math.round(floor.ms)} ms, SDK floor ${Math.round(sdkFloor.ms)} ms\n`,
        );
      });
    }
    // The PR check: --diff plans the base beside the head, or reads the base's plan from the
    // cache (the run with --fresh-base has just put it there); compared with one plan.
    const n = maxTeams;
    const repo = diffRepo(tmp, path.join(tmp, `teams-${n}`));
    const cacheHome = path.join(tmp, "cache");
    for (let round = 0; round < runs && (round === 0 || Date.now() - started < budgetMs); round++) {
      const plan = await planCli(repo, [], cacheHome);
      const diff = await planCli(repo, ["--diff", "main", "--fresh-base"], cacheHome);
      const cached = await planCli(repo, ["--diff", "main"], cacheHome);
      diffSamples.plan.push(plan.ms);
      diffSamples.diff.push(diff.ms);
      diffSamples.cachedDiff.push(cached.ms);
      diffSamples.planPeak.push(plan.peakMiB);
      diffSamples.diffPeak.push(diff.peakMiB);
      diffSamples.cachedDiffPeak.push(cached.peakMiB);
      process.stderr.write(
        `  ${n} teams, run ${round + 1}: plan ${Math.round(plan.ms)} ms, plan --diff ${Math.round(diff.ms)} ms (base planned), ${Math.round(cached.ms)} ms (base cached)\n`,
      );
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const diffTiming: DiffTiming = {
    teams: maxTeams,
    planMs: stats(diffSamples.plan),
    diffMs: stats(diffSamples.diff),
    cachedDiffMs: stats(diffSamples.cachedDiff),
    diffToPlan: stats(diffSamples.diff).median / stats(diffSamples.plan).median,
    cachedDiffToPlan: stats(diffSamples.cachedDiff).median / stats(diffSamples.plan).median,
    planPeakMiB: stats(diffSamples.planPeak),
    diffPeakMiB: stats(diffSamples.diffPeak),
    cachedDiffPeakMiB: stats(diffSamples.cachedDiffPeak),
  };

  const rows: Row[] = counts.map((n, i) => {
    const s = samples.get(n)!;
    const program = stats(s.program);
    const before = counts[i - 1]; // undefined for the first row
    const prev =
      before === undefined ? undefined : { n: before, ms: stats(samples.get(before)!.program).median };
    return {
      teams: n,
      runs: s.program.length,
      resources: s.resources,
      validationMs: stats(s.validation),
      programMs: program,
      floorMs: stats(s.floor),
      sdkFloorMs: stats(s.sdkFloor),
      programToSdkFloor: program.median / stats(s.sdkFloor).median,
      programToFloor: program.median / stats(s.floor).median,
      marginalMsPerTeam: prev ? (program.median - prev.ms) / (n - prev.n) : null,
      programPeakRssMiB: stats(s.rssKB).median / 1024,
      programPeakRssMaxMiB: Math.max(...s.rssKB) / 1024,
      perTeamByType: Object.fromEntries(Object.entries(s.byType).map(([t, c]) => [t, c / n])),
    };
  });
  // More teams must register more resources: otherwise the synthetic teams were not measured.
  for (const [i, r] of rows.entries()) {
    const before = rows[i - 1]; // undefined for the first row
    if (before && r.resources <= before.resources)
      throw new Error(
        `${r.teams} teams registered ${r.resources} resources, no more than ${before.teams} teams (${before.resources})`,
      );
  }
  const targets = checkTargets(rows, diffTiming);
  printTable(rows);
  // What a team registers, by type, at the largest count: where merging objects would pay.
  const largest = rows.at(-1);
  if (largest) {
    const kinds = Object.entries(largest.perTeamByType)
      .filter(([, c]) => c >= 0.5)
      .sort((a, b) => b[1] - a[1]);
    console.log(`\nresources per team at ${largest.teams} teams, by type (${largest.resources} in all):`);
    for (const [t, c] of kinds) console.log(`  ${c.toFixed(2).padStart(6)}  ${t}`);
  }
  const d = diffTiming;
  const mib = (s: Stats) => `${Math.round(s.median)} MiB`;
  console.log(
    `\nnpm run plan at ${d.teams} teams: ${Math.round(d.planMs.median)} ms, ${mib(d.planPeakMiB)}; with --diff main (one team changed):\n` +
      `  base planned beside the head (--fresh-base): ${Math.round(d.diffMs.median)} ms (${d.diffToPlan.toFixed(2)}x), ${mib(d.diffPeakMiB)} for both processes\n` +
      `  base's plan cached:                          ${Math.round(d.cachedDiffMs.median)} ms (${d.cachedDiffToPlan.toFixed(2)}x), ${mib(d.cachedDiffPeakMiB)}`,
  );
  console.log("\ntargets (figures, not assertions):");
  for (const t of targets)
    console.log(`  ${t.pass === null ? "n/a " : t.pass ? "PASS" : "FAIL"}  ${t.name}: ${t.value}`);
  const wallSeconds = (Date.now() - started) / 1000;
  const [loadAfter = NaN] = os.loadavg();
  const load = { before: loadBefore, after: loadAfter };
  console.log(
    `\n${wallSeconds.toFixed(0)} s, load average ${load.after.toFixed(1)} at the end; results in ${o.out}`,
  );
  const options = { quick: o.quick, runs, teams: counts, budgetMinutes: Number(o.budget), jobs };
  fs.writeFileSync(
    o.out,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: m,
        options,
        rows,
        diff: diffTiming,
        targets,
        wallSeconds,
        load,
      },
      null,
      2,
    ) + "\n",
  );
  return 0;
}

function checkTargets(rows: Row[], diff: DiffTiming): Target[] {
  const at = (n: number) => rows.find((r) => r.teams === n);
  const big = at(1000);
  const hundred = at(100);
  const one = at(1);
  const target = (name: string, ok: () => [boolean, string] | undefined): Target => {
    const r = ok();
    return r ? { name, pass: r[0], value: r[1] } : { name, pass: null, value: "not measured" };
  };
  return [
    // Issue #27's lines.
    target(
      "at 1000 teams, program <= 1.3x floor",
      () => big && [big.programToFloor <= 1.3, `${big.programToFloor.toFixed(2)}x`],
    ),
    target(
      "at 1000 teams, validation <= 400 ms",
      () => big && [big.validationMs.median <= 400, `${Math.round(big.validationMs.median)} ms`],
    ),
    target(
      "at 1000 teams, peak memory <= 700 MiB",
      () =>
        big && [
          big.programPeakRssMiB <= 700,
          `${Math.round(big.programPeakRssMiB)} MiB (largest run ${Math.round(big.programPeakRssMaxMiB)} MiB)`,
        ],
    ),
    target("at 1000 teams, plan --diff <= 1.3x plan, base planned beside the head", () =>
      diff.teams === 1000 ? [diff.diffToPlan <= 1.3, `${diff.diffToPlan.toFixed(2)}x`] : undefined,
    ),
    target("at 1000 teams, plan --diff <= 1.3x plan, base's plan cached", () =>
      diff.teams === 1000
        ? [diff.cachedDiffToPlan <= 1.3, `${diff.cachedDiffToPlan.toFixed(2)}x`]
        : undefined,
    ),
    target("at 1000 teams, plan --diff < 1 GiB (both processes)", () =>
      diff.teams === 1000
        ? [
            Math.max(diff.diffPeakMiB.median, diff.cachedDiffPeakMiB.median) < 1024,
            `${Math.round(diff.diffPeakMiB.median)} MiB base planned, ${Math.round(diff.cachedDiffPeakMiB.median)} MiB cached`,
          ]
        : undefined,
    ),
    // The fixed part is the program at one team: loading, the platform's own resources.
    target("linear: program(1000) - program(1) <= 10x (program(100) - program(1))", () => {
      if (!big || !hundred || !one) return undefined;
      const growth =
        (big.programMs.median - one.programMs.median) / (hundred.programMs.median - one.programMs.median);
      return [growth <= 10, `${growth.toFixed(1)}x`];
    }),
  ];
}

function printTable(rows: Row[]): void {
  const ms = (s: Stats) =>
    s.runs.length > 1
      ? `${Math.round(s.median)} (${Math.round(s.min)}-${Math.round(s.max)})`
      : `${Math.round(s.median)}`;
  const table = [
    [
      "teams",
      "runs",
      "resources",
      "validation ms",
      "program ms",
      "floor ms",
      "program/floor",
      "SDK floor ms",
      "program/SDK floor",
      "ms/team",
      "peak RSS MiB",
    ],
    ...rows.map((r) => [
      String(r.teams),
      String(r.runs),
      String(r.resources),
      ms(r.validationMs),
      ms(r.programMs),
      ms(r.floorMs),
      `${r.programToFloor.toFixed(2)}x`,
      ms(r.sdkFloorMs),
      `${r.programToSdkFloor.toFixed(2)}x`,
      r.marginalMsPerTeam === null ? "-" : r.marginalMsPerTeam.toFixed(1),
      r.runs > 1
        ? `${Math.round(r.programPeakRssMiB)} (max ${Math.round(r.programPeakRssMaxMiB)})`
        : String(Math.round(r.programPeakRssMiB)),
    ]),
  ];
  const widths: number[] = [];
  for (const row of table) row.forEach((cell, c) => (widths[c] = Math.max(widths[c] ?? 0, cell.length)));
  for (const row of table) console.log(row.map((cell, c) => cell.padStart(widths[c] ?? 0)).join("  "));
  console.log(
    "\nms: median (min-max) over the runs; ms/team: program ms over the previous row, per added team.\n" +
      "floor: the program's resources registered raw; SDK floor: the same through the SDK classes the\n" +
      "program uses, with its providers and dependencies (what the SDK costs; program/SDK floor is the\n" +
      "program's own share: configuration, rendering, components).",
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
