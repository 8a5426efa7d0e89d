/**
 * npm run fuzz [-- --seconds N] [--seed S]: team files generated across the classes of issue 28
 * (odd quantities, requests below the LimitRange minimum, decimal memory, images, rayStartParams
 * and rayResources, weights, ephemeral quotas, look-alike members, colliding team and cluster
 * names, unknown keys) go through the real loader for N seconds (default 60). The invariant:
 *
 * - every refused file is told at file:line;
 * - every accepted one renders objects that pass the pinned RayCluster CRD and KubeRay's own
 *   validation, requests at or above the LimitRange minimum, quantities in apimachinery's
 *   grammar, memory exactly as resolved, unique RayClusters and component names, ASCII members,
 *   and ray start flags that Ray's own parser takes (Ray 2.52.0's click command, from the real
 *   control plane's build: `bash real/build.sh`; without it, that one check is skipped and said).
 *
 * Prints the figures; exits 1 with the first counterexamples when the invariant breaks.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { ConfigError } from "../config/errors";
import { loadPlatformConfig, type PlatformConfig } from "../config/load";
import { CONTAINER_MINIMUM, parseQuantity } from "../config/quantity";
import { RAY_START_FLAGS } from "../config/rayStartFlags.generated";
import { stackConfigFromText } from "../plan/engine";
import { renderRayCluster } from "../render/rayCluster";
import { resourceQuota } from "../render/tenancy";
import { APIMACHINERY_QUANTITY, kubeRayControllerProblems, ManifestValidator } from "../test/schemas";

const ROOT = path.join(__dirname, "..");

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback;
const seconds = flag("--seconds", 60);
const seed = flag("--seed", Date.now() % 2 ** 31);

/** The good value four times in five, so that a case has a few mutations, not all of them. */
const mostly = <T>(good: T, ...others: T[]) =>
  fc.oneof({ arbitrary: fc.constant(good), weight: 4 }, { arbitrary: fc.constantFrom(...others), weight: 1 });
const caseArb = fc.record({
  team: mostly("vision", "a", "a-b"),
  cluster: mostly("detector", "b-c", "c"),
  collide: mostly(false, true),
  quotaCpu: mostly("64", "4.", "1e3", "+64", "1E3", "1e+3", "64000m", "64 ", "1e300", "-1", "0x40", "64.5"),
  quotaMemory: mostly("256Gi", "3000M", "1e12", "256GB", "-0", "1Ti"),
  ephemeral: mostly<string | undefined>(undefined, "1Gi", "3Gi", "500Gi", "1e12"),
  weight: mostly<number | undefined>(undefined, 1, 0.5, 1e300, 0.0004, 0, 2.5),
  cpu: mostly<string | undefined>(undefined, "5m", "10m", "1", "1.5", "0.0105", "4.", "1e0", "+2"),
  memory: mostly<string | undefined>(undefined, "1Ki", "16Mi", "1000M", "15Mi", "1e9", "954Mi", "1n"),
  image: mostly<string | undefined>(
    undefined,
    "rayproject/ray:2.52.0",
    " rayproject/ray:2.52.0",
    "RayProject/Ray:2.52.0",
    "x;id",
    "REG/ray:1",
    "localhost:5000/ray:1",
    `ray@sha256:${"a".repeat(64)}`,
    "ray:2.52.0 ",
  ),
  params: fc.oneof(
    { arbitrary: fc.constant({} as Record<string, string>), weight: 2 },
    fc.dictionary(
      fc.constantFrom(...Object.keys(RAY_START_FLAGS), "--num-cpus", "", "num-cpu", "NUM_CPUS", "port"),
      fc.constantFrom(
        "1",
        "1.5",
        "",
        "1e9",
        "true",
        "false",
        "yes",
        "auto",
        "fancy",
        '{"a": 1}',
        `'{"a": 1}'`,
        "a;b",
        "'x y'",
        "-1",
        "0",
        "pretty",
      ),
      { minKeys: 1, maxKeys: 2 },
    ),
  ),
  resource: mostly<string | undefined>(undefined, "1", "0.5", "lots", "500m", "1e3", ""),
  owner: mostly(
    "user:ana@example.com",
    "user:ana@ex\u0430mple.com",
    "user:bob@example.com\u200b",
    "group:ml@example.com",
  ),
  unknownKeys: mostly(0, 1, 3),
  maxReplicas: mostly(2, 0, 1, 8),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

const yamlValue = (v: unknown) => JSON.stringify(v);

function teamFile(c: Case, team: string, cluster: string): string {
  const lines = [
    `name: ${team}`,
    "description: fuzzed",
    "owners:",
    `  - ${yamlValue(c.owner)}`,
    "quota:",
    `  cpu: ${yamlValue(c.quotaCpu)}`,
    `  memory: ${yamlValue(c.quotaMemory)}`,
    "  gpus:",
    "    t4: 4",
  ];
  if (c.ephemeral !== undefined) lines.push(`  ephemeralStorage: ${yamlValue(c.ephemeral)}`);
  if (c.weight !== undefined) lines.push(`  fairSharingWeight: ${c.weight}`);
  for (let i = 0; i < c.unknownKeys; i++) lines.push(`  extra${i}: 1`);
  lines.push("rayClusters:", `  - name: ${cluster}`);
  if (c.image !== undefined) lines.push('    rayVersion: "2.52.0"', `    image: ${yamlValue(c.image)}`);
  lines.push(
    "    workerGroups:",
    "      - name: t4",
    "        gpu: { type: t4 }",
    "        minReplicas: 0",
    `        maxReplicas: ${c.maxReplicas}`,
  );
  if (c.cpu !== undefined) lines.push(`        cpu: ${yamlValue(c.cpu)}`);
  if (c.memory !== undefined) lines.push(`        memory: ${yamlValue(c.memory)}`);
  if (Object.keys(c.params).length > 0) lines.push(`        rayStartParams: ${yamlValue(c.params)}`);
  if (c.resource !== undefined) lines.push(`        rayResources: { custom: ${yamlValue(c.resource)} }`);
  return `${lines.join("\n")}\n`;
}

/** The case's team files: one, or two whose team and cluster names join to the same string. */
function files(c: Case): Record<string, string> {
  if (!c.collide) return { [`${c.team}.yaml`]: teamFile(c, c.team, c.cluster) };
  return { "a.yaml": teamFile(c, "a", "b-c"), "a-b.yaml": teamFile(c, "a-b", "c") };
}

const stackFileText = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
const baseConfig = stackConfigFromText(
  fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"),
  stackFileText,
);

function load(dir: string): PlatformConfig {
  return loadPlatformConfig({
    stack: "dev",
    config: { ...baseConfig, "ray-platform:teamsDir": dir },
    stackFileText,
    projectDir: ROOT,
  });
}

const crdDir = path.join(ROOT, "data", "kuberay", "1.7.0", "crds");
const validator = new ManifestValidator(
  fs.readdirSync(crdDir).map((f) => parse(fs.readFileSync(path.join(crdDir, f), "utf8"))),
);

/**
 * The arguments ray start gets for these params: KubeRay's convertParamMap
 * (controllers/ray/common/pod.go:1530-1541, v1.7.0) writes them into a bash command line, where
 * a single-quoted value loses its quotes (the loader refuses what bash would split or expand).
 */
function rayStartArgs(params: Record<string, string>, head: boolean): string[] {
  const out = head ? ["--head"] : [];
  // Sorted by key, as Object.keys(params).sort() would (keys are distinct).
  for (const [k, v] of Object.entries(params).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (
      ["true", "false"].includes(v.toLowerCase()) &&
      !["log-color", "include-dashboard", "include-log-monitor"].includes(k)
    ) {
      if (v.toLowerCase() === "true") out.push(`--${k}`);
    } else out.push(`--${k}=${/^'([^']*)'$/.exec(v)?.[1] ?? v}`);
  }
  return out;
}

/** Broken invariants of an accepted configuration. */
function violations(config: PlatformConfig, rayArgs: string[][]): string[] {
  const out: string[] = [];
  const clusters = new Set<string>();
  for (const team of config.teams) {
    for (const m of [...team.owners, ...team.contributors])
      if (/[^\x21-\x7e]/.test(m.name)) out.push(`member ${JSON.stringify(m.name)} is not ASCII`);
    for (const q of Object.values((resourceQuota(team) as any).spec.hard as Record<string, string>))
      if (!APIMACHINERY_QUANTITY.test(String(q))) out.push(`quota value ${JSON.stringify(q)}`);
    for (const c of team.rayClusters) {
      const key = `${team.name}/${c.name}`;
      if (clusters.has(key)) out.push(`component name ${key} twice`);
      clusters.add(key);
      const rc = renderRayCluster(c) as any;
      out.push(
        ...validator.problems(rc).map((p) => `${key}: CRD ${p}`),
        ...kubeRayControllerProblems(rc).map((p) => `${key}: KubeRay ${p}`),
      );
      const groups = [
        { g: rc.spec.headGroupSpec, resolved: c.head, head: true },
        ...rc.spec.workerGroupSpecs.map((g: any, i: number) => ({
          g,
          resolved: c.workerGroups[i],
          head: false,
        })),
      ];
      for (const { g, resolved, head } of groups) {
        const ray = g.template.spec.containers[0];
        for (const container of g.template.spec.containers) {
          for (const [what, v] of Object.entries<string>(container.resources?.requests ?? {})) {
            if (!APIMACHINERY_QUANTITY.test(v))
              out.push(`${key}: ${container.name} ${what} ${v} is no quantity`);
            const n = parseQuantity(v) ?? 0;
            if (what === "cpu" && n < CONTAINER_MINIMUM.cpu)
              out.push(`${key}: ${container.name} cpu ${v} below the LimitRange minimum`);
            if (what === "memory" && n < CONTAINER_MINIMUM.memoryBytes)
              out.push(`${key}: ${container.name} memory ${v} below the LimitRange minimum`);
          }
          if (/\s/.test(container.image)) out.push(`${key}: image ${JSON.stringify(container.image)}`);
        }
        if (parseQuantity(ray.resources.requests.memory) !== resolved.memoryBytes)
          out.push(`${key}: memory ${ray.resources.requests.memory} is not ${resolved.memoryBytes} bytes`);
        for (const v of Object.values<string>(g.resources ?? {}))
          if (!APIMACHINERY_QUANTITY.test(v)) out.push(`${key}: rayResources ${JSON.stringify(v)}`);
        rayArgs.push(rayStartArgs(g.rayStartParams ?? {}, head));
      }
    }
  }
  return out;
}

/** Ray's own parser on every argument list (one Python process); undefined when Ray is not built. */
function rayRefusals(argLists: string[][]): string[] | undefined {
  const paths = execFileSync("bash", [path.join(ROOT, "real", "build.sh"), "--paths"], { encoding: "utf8" });
  const ray = /^ray=(.*)$/m.exec(paths)?.[1];
  if (!ray || !fs.existsSync(path.join(ray, "venv", "bin", "python"))) return undefined;
  const script = [
    "import json, sys, click",
    "from ray.scripts.scripts import start",
    "for line in sys.stdin:",
    "    if not line.strip():",
    "        continue",
    "    args = json.loads(line)",
    "    try:",
    "        start.make_context('start', list(args))",
    "    except click.ClickException as e:",
    "        print(json.dumps([args, e.format_message()]))",
  ].join("\n");
  const input = [...new Set(argLists.map((a) => JSON.stringify(a)))].join("\n") + "\n";
  const outText = execFileSync(path.join(ray, "venv", "bin", "python"), ["-c", script], {
    input,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return outText.split("\n").filter(Boolean);
}

function main(): void {
  const started = Date.now();
  // In batches, each from its own seed: fc.sample generates all it is asked for up front.
  function* generated(): Generator<Case> {
    for (let batch = 0; ; batch++) yield* fc.sample(caseArb, { numRuns: 100, seed: seed + batch });
  }
  let accepted = 0;
  let refused = 0;
  let slowest = 0;
  const broken: string[] = [];
  const rayArgs: string[][] = [];
  for (const c of generated()) {
    if ((Date.now() - started) / 1000 > seconds) break;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rp-fuzz-"));
    for (const [f, text] of Object.entries(files(c))) fs.writeFileSync(path.join(dir, f), text);
    const t = Date.now();
    try {
      const config = load(dir);
      accepted++;
      for (const v of violations(config, rayArgs)) broken.push(`${v}\n    ${JSON.stringify(c)}`);
    } catch (err) {
      if (!(err instanceof ConfigError)) {
        broken.push(`crash: ${(err as Error).stack}\n    ${JSON.stringify(c)}`);
        continue;
      }
      refused++;
      for (const i of err.issues)
        if (i.file.includes(dir) && i.line === undefined && i.path !== "")
          broken.push(`no line: ${i.file} ${i.path}: ${i.message}\n    ${JSON.stringify(c)}`);
    } finally {
      slowest = Math.max(slowest, Date.now() - t);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const refusedByRay = rayRefusals(rayArgs);
  if (refusedByRay) broken.push(...refusedByRay.map((r) => `ray start refuses ${r}`));
  const cases = accepted + refused;
  const elapsed = (Date.now() - started) / 1000;
  console.log(
    `fuzz: ${cases} cases in ${elapsed.toFixed(0)} s (seed ${seed}): ${accepted} accepted, ${refused} refused; slowest ${slowest} ms`,
  );
  console.log(
    refusedByRay
      ? `fuzz: ${new Set(rayArgs.map((a) => JSON.stringify(a))).size} distinct ray start argument lists checked by Ray 2.52.0's own parser`
      : "fuzz: Ray is not built (bash real/build.sh): ray start flags were not checked by Ray's parser",
  );
  if (accepted === 0 || refused === 0)
    broken.push(
      `the generator produced ${accepted} accepted and ${refused} refused cases: both kinds must occur`,
    );
  if (broken.length > 0) {
    console.error(
      `fuzz: ${broken.length} broken invariants; the first ones:\n${[...new Set(broken)].slice(0, 10).join("\n")}`,
    );
    process.exit(1);
  }
}

main();
