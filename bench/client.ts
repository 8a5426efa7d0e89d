/**
 * Benchmark of rayctl, the bundled CLI, in fresh Node processes (what a user waits for):
 * cold start of `rayctl --help`, and `rayctl get cluster -A` over 500 RayClusters served by
 * the fake API server (test/fakeKube.ts) in this process. Builds the bundle first.
 *
 *   npx tsx bench/client.ts [--quick] [--runs K] [--clusters N] [--out FILE]
 *
 * Targets: --help and `create cluster --help` under 300 ms, get -A over 500 clusters under 1 s (medians).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs, promisify } from "node:util";
import { resolveClusterFromOptions, renderClusterObjects } from "../client/src/clusterSpec";
import { loadPlatformConfig } from "../config/load";
import { stackConfigFromText } from "../plan/engine";
import { platformFacts, teamFacts } from "../render/platformFacts";
import { FakeKube, writeKubeconfig } from "../test/fakeKube";

const PROJECT_DIR = path.join(__dirname, "..");
const exec = promisify(execFile);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  // The middle run, or the mean of the two middle ones (NaN for none).
  const middle = s.slice(Math.floor((s.length - 1) / 2), Math.floor(s.length / 2) + 1);
  return middle.reduce((a, b) => a + b, 0) / middle.length;
};

async function timed(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  const start = process.hrtime.bigint();
  const { stdout } = await exec(process.execPath, args, { env, maxBuffer: 64 * 1024 * 1024 });
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, stdout };
}

/** `n` RayClusters as the client renders them, over the dev stack's team namespaces. */
function clusters(n: number): Record<string, any>[] {
  const stackFileText = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
  const config = stackConfigFromText(
    fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"),
    stackFileText,
  );
  const cfg = loadPlatformConfig({ stack: "dev", config, stackFileText, projectDir: PROJECT_DIR });
  const facts = platformFacts(cfg);
  return Array.from({ length: n }, (_, i) => {
    const team = cfg.teams[i % cfg.teams.length];
    if (!team) throw new Error("Pulumi.dev.yaml's stack has no teams to put the benchmark's clusters in");
    const { cluster } = resolveClusterFromOptions(
      { name: `bench-${i}`, namespace: team.name, gpusPerWorker: i % 2, maxWorkers: 2, minWorkers: 0 },
      facts,
      teamFacts(team),
    );
    return renderClusterObjects(cluster, {}, "bench").rayCluster as unknown as Record<string, any>;
  });
}

async function main(argv: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      clusters: { type: "string", default: "500" },
      out: { type: "string", default: path.join(__dirname, "client-results.json") },
    },
    strict: true,
  });
  const runs = Number(o.runs ?? (o.quick ? 3 : 10));
  const n = Number(o.clusters);
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-bench-"));
  await exec(process.execPath, [path.join(PROJECT_DIR, "client/build.mjs"), dist]);
  const bin = path.join(dist, "rayctl.js");

  const fake = new FakeKube({
    crds: [],
    authorize: true,
    tokens: { "admin-token": "admin" },
    admins: ["admin"],
    kuberay: "off",
  });
  for (const rc of clusters(n)) fake.seed(rc);
  const kubeconfig = writeKubeconfig(await fake.start());
  const env = { PATH: process.env.PATH, HOME: os.tmpdir(), KUBECONFIG: kubeconfig };

  const help: number[] = [];
  const commandHelp: number[] = [];
  const get: number[] = [];
  let rows = 0;
  try {
    for (let i = 0; i < runs; i++) help.push((await timed([bin, "--help"], env)).ms);
    // A command's own help builds every command's flags (commands.ts) but loads no SDK.
    for (let i = 0; i < runs; i++)
      commandHelp.push((await timed([bin, "create", "cluster", "--help"], env)).ms);
    for (let i = 0; i < runs; i++) {
      const r = await timed([bin, "get", "cluster", "-A", "--context", "admin"], env);
      get.push(r.ms);
      rows = r.stdout.trim().split("\n").length - 1;
    }
  } finally {
    await fake.stop();
  }
  if (rows !== n) throw new Error(`get cluster -A listed ${rows} clusters, expected ${n}`);
  const results = {
    machine: {
      cpu: os.cpus()[0]?.model,
      cores: os.cpus().length,
      node: process.version,
      load: os.loadavg()[0],
    },
    bundleKiB: Math.round(fs.statSync(bin).size / 1024),
    helpMs: { median: median(help), runs: help },
    commandHelpMs: { median: median(commandHelp), runs: commandHelp },
    getAllMs: { median: median(get), runs: get, clusters: n },
    targets: [
      {
        name: "rayctl --help cold start < 300 ms",
        value: `${median(help).toFixed(0)} ms`,
        pass: median(help) < 300,
      },
      {
        name: "rayctl create cluster --help cold start < 300 ms",
        value: `${median(commandHelp).toFixed(0)} ms`,
        pass: median(commandHelp) < 300,
      },
      {
        name: `rayctl get cluster -A over ${n} clusters < 1 s`,
        value: `${median(get).toFixed(0)} ms`,
        pass: median(get) < 1000,
      },
    ],
  };
  fs.rmSync(dist, { recursive: true, force: true });
  fs.writeFileSync(o.out!, JSON.stringify(results, null, 2) + "\n");
  console.log(`rayctl bundle ${results.bundleKiB} KiB; ${runs} runs each, fresh node processes`);
  for (const t of results.targets)
    console.log(`  ${t.pass ? "PASS" : "MISS"}  ${t.name}: ${t.value} (median)`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  },
);
