/**
 * rayctl's refusals and objects for a new cluster (client/src/clusterSpec.ts) in-process, with
 * the facts the program publishes for the dev stack (and the kind stack, which offers no GPUs),
 * built from the stacks' configuration without evaluating the program: which flags mean which
 * team-file entry, each refusal word for word (naming the flag or the file's line and column,
 * and saying what to do), what --file excludes, a RayCluster document checked against the
 * pinned CRD with later problems mapped back into it, and the objects rayctl creates. Fast on
 * purpose: mutation testing (npm run test:mutation) runs it for every mutant of clusterSpec.ts;
 * test/client.test.ts checks the same through the CLI against a fake API server.
 *
 * Mutation testing leaves these mutants of clusterSpec.ts alive, each equivalent or unreachable:
 * - FLAG_OF's entries for `notebook`, `vscode` and `tutorials` left out, or their flag as "":
 *   nothing the flags say is refused at those paths (they are booleans the schema always takes;
 *   the notebook's one problem needs `image`, which no flag sets). Their paths as "" are killed:
 *   "" would claim the cluster's own problems.
 * - quantityValue's `typeof v === "string"` as `true`: a number passes the test as its digits, and
 *   Number() of a number is that number.
 * - `facts.gpuTypes[0]?.type` as `facts.gpuTypes[0].type`: with no GPU type, GPUs without a type
 *   were refused just before, so there is always a first type here.
 * - `!cluster || issues.length > 0` (file) and `!cluster || problems.length > 0` (flags) with
 *   the second half `false`, or as `&&`: resolveRayCluster returns no cluster exactly when it
 *   has reported a problem (its only report is its `fail`, which also makes it return
 *   undefined), and nothing else is reported by then.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import {
  type ClusterOptions,
  type ClusterRequest,
  InputError,
  renderClusterObjects,
  resolveClusterFromOptions,
} from "../client/src/clusterSpec";
import { type PlatformConfig } from "../config/load";
import { clusterTokenSecret, ownPodsPolicy } from "../render/clusterAccess";
import { type PlatformFacts, platformFacts, type TeamFacts, teamFacts } from "../render/platformFacts";
import { renderRayCluster, toolsService, tutorialsConfigMap } from "../render/rayCluster";
import { defined } from "./defined";
import { loadConfig } from "./mocks";

// The stacks' configurations, loaded once (no code of clusterSpec.ts runs in them).
const configs: Partial<Record<"dev" | "kind", PlatformConfig>> = {};
const config = (stack: "dev" | "kind") => (configs[stack] ??= loadConfig({ stack }));
/** The dev stack's facts: pools a100, cpu-worker, ray-head, system and t4 (1 T4 a node), Ray 2.52.0 by default. */
const dev = (): PlatformFacts => platformFacts(config("dev"));

/** The dev stack's facts with a second pool like `pool`, named `name`: two pools fit the same worker. */
const devWithCopyOf = (pool: string, name: string): PlatformFacts => ({
  ...dev(),
  pools: [
    ...dev().pools,
    {
      ...defined(
        dev().pools.find((p) => p.name === pool),
        pool,
      ),
      name,
    },
  ],
});
/** The kind stack's facts: mode existing, no pools, no GPUs. */
const kind = (): PlatformFacts => platformFacts(config("kind"));
const teamOf = (stack: "dev" | "kind", name: string): TeamFacts =>
  teamFacts(
    defined(
      config(stack).teams.find((t) => t.name === name),
      `team ${name}`,
    ),
  );
const recsys = () => teamOf("dev", "recsys");

const SAMPLE = fs.readFileSync(path.join(__dirname, "fixtures", "raycluster.sample.yaml"), "utf8");
const ENTRY = fs.readFileSync(path.join(__dirname, "fixtures", "cluster-entry.yaml"), "utf8");

type Options = Omit<ClusterOptions, "namespace"> & { namespace?: string };
const options = (o: Options): ClusterOptions => ({ namespace: "recsys", ...o });
const resolve = (o: Options, facts = dev(), team = recsys()): ClusterRequest =>
  resolveClusterFromOptions(options(o), facts, team);
/** The problems `o` is refused with; fails the test when it is accepted or fails otherwise. */
function refusal(o: Options, facts = dev(), team = recsys()): string[] {
  try {
    resolve(o, facts, team);
  } catch (err) {
    if (err instanceof InputError) return [...err.problems];
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(o)}`);
}
const file = (text: string, name = "c.yaml") => ({ file: { path: name, text } });

/** What the schema adds to every entry. */
const DEFAULTS = {
  autoscaler: { idleTimeoutSeconds: 60, upscalingMode: "Default" },
  notebook: false,
  vscode: false,
  tutorials: false,
};
const GROUP1 = { name: "group1", rayStartParams: {} };

describe("InputError", () => {
  test("holds every problem, one a line", () => {
    const e = new InputError(["--a: one.", "--b: two."]);
    expect([e.name, e.message, e.problems]).toEqual([
      "InputError",
      "--a: one.\n--b: two.",
      ["--a: one.", "--b: two."],
    ]);
    expect(e).toBeInstanceOf(Error);
  });
});

describe("flags are the team-file entry they mean", () => {
  test("a name alone: a head and one worker group, each sized to a whole node", () => {
    const r = resolve({ name: "x" });
    expect(r.entry).toStrictEqual({
      name: "x",
      head: { rayStartParams: {} },
      workerGroups: [GROUP1],
      ...DEFAULTS,
    });
    expect(r.cluster.name).toBe("x");
    expect(r.cluster.namespace).toBe("recsys");
    expect(r.cluster.workerGroups.map((g) => [g.name, g.pool?.name, g.replicas])).toEqual([
      ["group1", "cpu-worker", 1],
    ]);
  });

  test("every flag at once", () => {
    const r = resolve({
      name: "x",
      cpusInHead: "4",
      memoryInHead: "8Gi",
      cpusPerWorker: 6,
      memoryPerWorker: "24Gi",
      gpusPerWorker: 1,
      workerGpuType: "a100",
      minWorkers: 0,
      maxWorkers: 3,
      rayVersion: "2.53.0",
      notebook: true,
      vscodeServer: true,
    });
    expect(r.entry).toStrictEqual({
      name: "x",
      rayVersion: "2.53.0",
      head: { cpu: 4, memory: "8Gi", rayStartParams: {} },
      workerGroups: [
        {
          ...GROUP1,
          cpu: 6,
          memory: "24Gi",
          gpu: { type: "a100", count: 1 },
          minReplicas: 0,
          maxReplicas: 3,
        },
      ],
      ...DEFAULTS,
      notebook: true,
      vscode: true,
    });
    expect(r.cluster.autoscaling).toBeDefined();
  });

  test("a number given as a string is a number; any other quantity stays as written", () => {
    const r = resolve({ name: "x", cpusInHead: "12", cpusPerWorker: "0.25", memoryPerWorker: "2Gi" });
    expect(r.entry.head).toStrictEqual({ cpu: 12, rayStartParams: {} });
    expect(r.entry.workerGroups[0]).toStrictEqual({ ...GROUP1, cpu: 0.25, memory: "2Gi" });
    const m = resolve({ name: "x", cpusInHead: "500m", cpusPerWorker: "1.75", memoryInHead: "4096Mi" });
    expect(m.entry.head).toStrictEqual({ cpu: "500m", memory: "4096Mi", rayStartParams: {} });
    expect(m.entry.workerGroups[0]).toStrictEqual({ ...GROUP1, cpu: 1.75 });
    // Not numbers, whatever digits they hold: each refused as written.
    expect(refusal({ name: "x", cpusInHead: "x4", cpusPerWorker: "4x" })).toEqual([
      '--cpus-in-head: "x4" is not a valid CPU quantity; write a Kubernetes quantity such as 4, 500m, 48Gi or 1Ti.',
      '--cpus-per-worker: "4x" is not a valid CPU quantity; write a Kubernetes quantity such as 4, 500m, 48Gi or 1Ti.',
    ]);
    // Kubernetes quantities that are not plain numbers: kept as written.
    const odd = resolve({ name: "x", cpusInHead: "1.", cpusPerWorker: ".5" }).entry;
    expect([odd.head.cpu, odd.workerGroups[0]?.cpu]).toEqual(["1", ".5"]);
  });

  test("--gpus-per-worker alone takes the platform's smallest GPU; --worker-gpu-type alone takes its pool's count", () => {
    expect(resolve({ name: "x", gpusPerWorker: 1 }).entry.workerGroups[0]).toStrictEqual({
      ...GROUP1,
      gpu: { type: "t4", count: 1 },
    });
    // The first type of the facts, whichever it is.
    const facts = dev();
    const a100First = { ...facts, gpuTypes: [...facts.gpuTypes].reverse() };
    expect(resolve({ name: "x", gpusPerWorker: 1 }, a100First).entry.workerGroups[0]).toStrictEqual({
      ...GROUP1,
      gpu: { type: "a100", count: 1 },
    });
    const typed = resolve({ name: "x", workerGpuType: "a100" });
    expect(typed.entry.workerGroups[0]).toStrictEqual({ ...GROUP1, gpu: { type: "a100" } });
    expect(typed.cluster.workerGroups[0]?.gpu).toMatchObject({ type: "a100", count: 1 });
    // No GPUs asked for: a CPU worker.
    expect(resolve({ name: "x", gpusPerWorker: 0 }).entry.workerGroups[0]).toStrictEqual(GROUP1);
  });

  test("--workers 0 alone is a cluster without workers; with bounds it is a group of none", () => {
    expect(resolve({ name: "x", workerReplicas: 0 }).entry.workerGroups).toStrictEqual([]);
    expect(resolve({ name: "x", workerReplicas: 0, minWorkers: 0 }).entry.workerGroups).toStrictEqual([
      { ...GROUP1, replicas: 0, minReplicas: 0 },
    ]);
    expect(resolve({ name: "x", workerReplicas: 0, maxWorkers: 0 }).entry.workerGroups).toStrictEqual([
      { ...GROUP1, replicas: 0, maxReplicas: 0 },
    ]);
    expect(resolve({ name: "x", workerReplicas: 2 }).entry.workerGroups).toStrictEqual([
      { ...GROUP1, replicas: 2 },
    ]);
  });

  test("tutorials come with the notebook server that opens them; each tool only when asked", () => {
    const tools = (o: Options) => {
      const e = resolve({ name: "x", ...o }).entry;
      return [e.notebook, e.vscode, e.tutorials];
    };
    expect(tools({})).toEqual([false, false, false]);
    expect(tools({ withTutorials: true })).toEqual([true, false, true]);
    expect(tools({ notebook: true })).toEqual([true, false, false]);
    expect(tools({ vscodeServer: true })).toEqual([false, true, false]);
    expect(tools({ withTutorials: false, notebook: false, vscodeServer: false })).toEqual([
      false,
      false,
      false,
    ]);
  });

  test("the cluster runs as the team's service account with the team's bucket, in the namespace given", () => {
    const r = resolve({ name: "x", namespace: "ray-playground" }, dev(), teamOf("dev", "ray-playground"));
    const team = teamOf("dev", "ray-playground");
    expect([r.cluster.namespace, r.cluster.serviceAccountName, r.cluster.bucket]).toEqual([
      "ray-playground",
      team.serviceAccountName,
      team.bucket,
    ]);
    expect(r.cluster.images.cpu).toBe(
      "us-central1-docker.pkg.dev/my-ml-platform-dev/docker-hub/rayproject/ray:2.52.0-py311",
    );
  });
});

describe("flags are refused, naming the flag and saying what to do", () => {
  const cases: [string, Options, string[], PlatformFacts?][] = [
    [
      "no name",
      { cpusInHead: "2" },
      ["<name>: a cluster needs a name; e.g. `rayctl create cluster my-cluster -n <team>`."],
    ],
    [
      "a name Kubernetes refuses",
      { name: "My_Cluster" },
      [
        '<name>: "My_Cluster" is not a valid name; use lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (e.g. "my-cluster").',
      ],
    ],
    [
      "a Ray version without images",
      { name: "x", rayVersion: "2.99.0" },
      [
        "--ray-version: Ray 2.99.0 has no image the platform knows; use one of 2.52.0, 2.53.0, 2.54.1, 2.55.1, 2.56.0, 2.57.0, 2.58.0 (did you mean 2.52.0?), set image, or add the version to data/ray-images.yaml.",
      ],
    ],
    [
      "more CPUs in the head than its node has",
      { name: "x", cpusInHead: "64" },
      [
        '--cpus-in-head: the head pod needs 64.25 CPUs (with its sidecars) but one node of pool "ray-head" gives at most 15 CPUs; ask for less or use a pool with bigger nodes.',
      ],
    ],
    [
      "memory quantities in GB, head and worker, both said",
      { name: "x", memoryInHead: "10GB", memoryPerWorker: "10GB" },
      [
        '--memory-in-head: "10GB" is not a valid memory quantity; write 10Gi, or 10G (Kubernetes units: Ki Mi Gi Ti are powers of 2, k M G T powers of 10).',
        '--memory-per-worker: "10GB" is not a valid memory quantity; write 10Gi, or 10G (Kubernetes units: Ki Mi Gi Ti are powers of 2, k M G T powers of 10).',
      ],
    ],
    [
      "more GPUs than a node has",
      { name: "x", gpusPerWorker: 2 },
      [
        '--gpus-per-worker: 2 t4 GPUs do not fit one node of pool "t4", which has 1; ask for at most 1 or use a pool with bigger nodes.',
      ],
    ],
    [
      "a GPU type not offered: a practitioner is told to ask the platform team",
      { name: "x", gpusPerWorker: 1, workerGpuType: "h100" },
      [
        '--worker-gpu-type: "h100" is not offered by this stack (offered: a100, t4); pick a100, or ask the platform team for an h100 pool.',
      ],
    ],
    [
      "no GPUs of a type",
      { name: "x", gpusPerWorker: 0, workerGpuType: "t4" },
      ["--gpus-per-worker: 0 is too small: GPUs must be at least 1."],
    ],
    [
      "more CPUs in a worker than its node has, with the head's too",
      { name: "x", cpusInHead: "64", cpusPerWorker: "64" },
      [
        '--cpus-in-head: the head pod needs 64.25 CPUs (with its sidecars) but one node of pool "ray-head" gives at most 15 CPUs; ask for less or use a pool with bigger nodes.',
        '--cpus-per-worker: the worker pod needs 64.25 CPUs (with its sidecars) but one node of pool "cpu-worker" gives at most 15 CPUs; ask for less or use a pool with bigger nodes.',
      ],
    ],
    [
      "a worker count with autoscaling bounds around another",
      { name: "x", workerReplicas: 5, minWorkers: 1, maxWorkers: 3 },
      [
        "--workers: is for fixed-size groups; with minReplicas (1) below maxReplicas (3) the autoscaler owns the worker count and the group starts at minReplicas. Remove replicas, or make the group fixed with minReplicas and maxReplicas 5.",
      ],
    ],
    [
      "min above max",
      { name: "x", minWorkers: 3, maxWorkers: 1 },
      [
        "--min-workers: 'minReplicas' (3) must be less than or equal to 'maxReplicas' (1); lower minReplicas or raise maxReplicas.",
      ],
    ],
    [
      "a negative max",
      { name: "x", maxWorkers: -1 },
      ["--max-workers: -1 is too small: replicas must be at least 0."],
    ],
    [
      "a stack without a head pool",
      { name: "x" },
      [
        "--cpus-in-head/--memory-in-head: no node pool with role ray-head exists for this head; add one to ray-platform:nodePools.",
      ],
      { ...dev(), pools: dev().pools.filter((p) => p.role !== "ray-head") },
    ],
    [
      "a stack without a CPU worker pool",
      { name: "x" },
      [
        "worker flags: no node pool with role ray-worker and no GPU exists for this worker; add one to ray-platform:nodePools or give the group a gpu.",
      ],
      { ...dev(), pools: dev().pools.filter((p) => p.name !== "cpu-worker") },
    ],
    [
      "a GPU type two pools offer",
      { name: "x", gpusPerWorker: 1 },
      [
        "--worker-gpu-type: several pools fit this worker (t4, t4-spot); set pool to one of them. No flag chooses a pool: write the cluster as a team file's rayClusters entry that sets it, and give that with --file.",
      ],
      devWithCopyOf("t4", "t4-spot"),
    ],
    [
      "two CPU worker pools: the worker's flags, not a GPU type, are what the problem is about",
      { name: "x" },
      [
        "worker flags: several pools fit this worker (cpu-worker, cpu-worker-2); set pool to one of them. No flag chooses a pool: write the cluster as a team file's rayClusters entry that sets it, and give that with --file.",
      ],
      devWithCopyOf("cpu-worker", "cpu-worker-2"),
    ],
    [
      "a negative GPU count, from a program using the SDK: refused, not a CPU worker",
      { name: "x", gpusPerWorker: -1 },
      ["--gpus-per-worker: -1 is too small: GPUs must be at least 1."],
    ],
    [
      "two head pools",
      { name: "x" },
      [
        "--cpus-in-head/--memory-in-head: several pools fit this head (ray-head, ray-head-2); set pool to one of them. No flag chooses a pool: write the cluster as a team file's rayClusters entry that sets it, and give that with --file.",
      ],
      {
        ...dev(),
        pools: [
          ...dev().pools,
          {
            ...defined(
              dev().pools.find((p) => p.name === "ray-head"),
              "head",
            ),
            name: "ray-head-2",
          },
        ],
      },
    ],
    [
      "a count that is not a number, from a program using the SDK: what it got",
      { name: "x", minWorkers: NaN, gpusPerWorker: NaN },
      [
        "--gpus-per-worker: expected a whole number of GPUs, got NaN; write a number such as 2.",
        "--min-workers: expected a whole number of replicas, got NaN; write a number such as 1.",
      ],
    ],
    [
      "a stack whose default Ray version has no image: the cluster, not a flag",
      { name: "x" },
      [
        "<cluster>: Ray 2.40.0 has no image the platform knows; use one of 2.52.0, 2.53.0, 2.54.1, 2.55.1, 2.56.0, 2.57.0, 2.58.0 (did you mean 2.52.0?), set image, or add the version to data/ray-images.yaml.",
      ],
      { ...dev(), defaultRayVersion: "2.40.0" },
    ],
  ];
  test.each(cases)("%s", (_what, o, problems, facts) => {
    expect(refusal(o, facts ?? dev())).toEqual(problems);
  });

  test("on a platform without GPUs, GPUs are refused before anything else; no GPUs, or a named type, are not", () => {
    const facts = kind();
    const team = teamOf("kind", "lender");
    const sized = { cpusInHead: "2", memoryInHead: "4Gi", cpusPerWorker: "2", memoryPerWorker: "4Gi" };
    expect(refusal({ name: "x", gpusPerWorker: 1 }, facts, team)).toEqual([
      "--gpus-per-worker: this platform offers no GPUs; drop the flag, or ask the platform team for a GPU pool.",
    ]);
    expect(refusal({ name: "x", gpusPerWorker: 1, ...sized }, facts, team)).toEqual([
      "--gpus-per-worker: this platform offers no GPUs; drop the flag, or ask the platform team for a GPU pool.",
    ]);
    expect(refusal({ name: "x", gpusPerWorker: -1 }, facts, team)).toEqual([
      "--gpus-per-worker: this platform offers no GPUs; drop the flag, or ask the platform team for a GPU pool.",
    ]);
    expect(
      resolve({ name: "x", gpusPerWorker: 0, ...sized }, facts, team).entry.workerGroups[0],
    ).toStrictEqual({
      ...GROUP1,
      cpu: 2,
      memory: "4Gi",
    });
    expect(refusal({ name: "x", gpusPerWorker: 1, workerGpuType: "t4", ...sized }, facts, team)).toEqual([
      '--worker-gpu-type: "t4" is not offered by this stack (offered: no GPUs); make it a CPU worker group, or ask the platform team for a t4 pool.',
    ]);
    // Without pools to size from (mode existing), the flags that size the pods are asked for.
    expect(refusal({ name: "x" }, facts, team)).toEqual([
      "--cpus-in-head: is required here: no node pool is configured to size the head from; set cpu and memory.",
      "--cpus-per-worker: is required here: no node pool is configured to size the worker from; set cpu and memory.",
    ]);
    expect(resolve({ name: "x", ...sized }, facts, team).cluster.workerGroups[0]?.pool).toBeUndefined();
  });
});

describe("--file", () => {
  test("excludes every flag that shapes the cluster, each named as typed", () => {
    const all: Options = {
      cpusInHead: "1",
      memoryInHead: "1Gi",
      cpusPerWorker: "1",
      memoryPerWorker: "1Gi",
      gpusPerWorker: 1,
      workerGpuType: "t4",
      workerReplicas: 1,
      minWorkers: 1,
      maxWorkers: 1,
      rayVersion: "2.52.0",
      withTutorials: true,
      vscodeServer: true,
      notebook: true,
    };
    expect(refusal({ ...all, ...file(ENTRY, "entry.yaml") })).toEqual([
      "--file: cannot be combined with --cpus-in-head, --memory-in-head, --cpus-per-worker, --memory-per-worker, --gpus-per-worker, --worker-gpu-type, --workers, --min-workers, --max-workers, --ray-version, --with-tutorials, --vscode-server, --notebook; put those settings in entry.yaml.",
    ]);
    // A flag given as false is still given.
    expect(refusal({ notebook: false, ...file(ENTRY) })).toEqual([
      "--file: cannot be combined with --notebook; put those settings in c.yaml.",
    ]);
  });

  test("a team file's rayClusters entry is the entry, with its name or the command line's same name", () => {
    const r = resolve(file(ENTRY));
    expect(r.entry).toStrictEqual({
      name: "two-groups",
      head: { rayStartParams: {} },
      workerGroups: [
        { name: "t4", rayStartParams: {}, gpu: { type: "t4" }, minReplicas: 0, maxReplicas: 2 },
        { name: "cpu", rayStartParams: {}, cpu: 4, memory: "16Gi", replicas: 2 },
      ],
      ...DEFAULTS,
      notebook: true,
    });
    expect([r.cluster.name, r.cluster.namespace]).toEqual(["two-groups", "recsys"]);
    expect(resolve({ name: "two-groups", ...file(ENTRY) }).entry.name).toBe("two-groups");
  });

  test("a file that is not a mapping is refused, saying what it must be", () => {
    const what =
      "c.yaml: must be a team file's rayClusters entry (a mapping with name, workerGroups, ...) or a ray.io/v1 RayCluster; see `rayctl create cluster --help` and docs/cli.md.";
    for (const text of ["", "# nothing\n", "hello\n", "42\n", "- name: x\n"])
      expect(refusal(file(text))).toEqual([what]);
  });

  test("YAML that does not parse, by line and column", () => {
    expect(refusal(file("name: x\nworkerGroups: [\n"))).toEqual([
      "c.yaml:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]; fix the YAML syntax (a linter such as yamllint shows it too).",
    ]);
  });

  test("an entry's problems point at the file's lines: an unknown key at the key, a bad value at the value", () => {
    expect(refusal(file("name: x\nworkerGroup:\n  - name: a\n"))).toEqual([
      'c.yaml:2:1 workerGroup: unknown key "workerGroup"; did you mean "workerGroups"? Allowed keys: name, description, rayVersion, image, head, workerGroups, autoscaler, notebook, vscode, tutorials.',
    ]);
    expect(refusal(file("name: x\nworkerGroups:\n  - name: a\n    replicas: -1\n"))).toEqual([
      "c.yaml:4:15 workerGroups[0].replicas: -1 is too small: replicas must be at least 0.",
    ]);
    // Resolution's problems too.
    expect(refusal(file("name: x\nworkerGroups:\n  - name: a\n    gpu: { type: t4, count: 2 }\n"))).toEqual([
      'c.yaml:4:29 workerGroups[0].gpu.count: 2 t4 GPUs do not fit one node of pool "t4", which has 1; ask for at most 1 or use a pool with bigger nodes.',
    ]);
    expect(refusal(file("name: x\nworkerGroups:\n  - name: a\n    pol: t4\n"))).toEqual([
      'c.yaml:4:5 workerGroups[0].pol: unknown key "pol"; did you mean "pool"? Allowed keys: name, cpu, memory, pool, rayStartParams, rayResources, gpu, replicas, minReplicas, maxReplicas.',
    ]);
  });

  test("a value of the wrong type says what it got", () => {
    expect(refusal(file("name: 5\n"))).toEqual([
      'c.yaml:1:7 name: 5 is a number to YAML, expected a string; quote it ("5").',
    ]);
  });

  test("a name that differs from the command line's is refused at the file's name", () => {
    expect(refusal({ name: "b", ...file("name: a\n") })).toEqual([
      'c.yaml:1:7 name: names the cluster "a" but the command line says "b"; drop the name argument or make them equal.',
    ]);
  });
});

describe("--file with a ray.io/v1 RayCluster", () => {
  test("KubeRay's sample is the entry it means, in the namespace given", () => {
    const r = resolve(file(SAMPLE));
    expect(r.entry).toStrictEqual({
      name: "raycluster-kuberay",
      rayVersion: "2.52.0",
      head: { cpu: "1", memory: "5Gi", rayStartParams: {} },
      workerGroups: [
        { name: "workergroup", cpu: "1", memory: "1Gi", rayStartParams: {}, replicas: 1 },
        {
          name: "t4",
          cpu: "8",
          memory: "32Gi",
          rayStartParams: {},
          gpu: { type: "t4", count: 1 },
          replicas: 1,
        },
      ],
      ...DEFAULTS,
    });
    expect(r.cluster.namespace).toBe("recsys");
    expect(resolve({ name: "raycluster-kuberay", ...file(SAMPLE) }).cluster.name).toBe("raycluster-kuberay");
  });

  test("an apiVersion or a kind makes a document a RayCluster, checked as one", () => {
    expect(refusal(file("kind: RayCluster\nmetadata: { name: x }\n"))).toEqual([
      "c.yaml:1:1 apiVersion: is missing; write apiVersion: ray.io/v1 (the version of the platform's KubeRay CRDs).",
    ]);
    expect(refusal(file("apiVersion: v1\nmetadata: { name: x }\n"))).toEqual([
      'c.yaml:1:13 apiVersion: must be ray.io/v1 (the version of the platform\'s KubeRay CRDs), not "v1".',
      "c.yaml:1:1 kind: is missing; write kind: RayCluster (RayJobs and RayServices are not created by rayctl).",
    ]);
    // A kind that is not a string still makes it one (an entry has no kind).
    expect(refusal(file("kind: 5\nname: x\n"))).toEqual([
      "c.yaml:1:1 apiVersion: is missing; write apiVersion: ray.io/v1 (the version of the platform's KubeRay CRDs).",
      "c.yaml:1:7 kind: must be RayCluster, not 5; RayJobs and RayServices are not created by rayctl.",
    ]);
  });

  test("another kind is refused by its kind alone, before the CRD's schema is asked", () => {
    expect(refusal(file("apiVersion: ray.io/v1\nkind: RayJob\nspec: 5\n"))).toEqual([
      'c.yaml:2:7 kind: must be RayCluster, not "RayJob"; RayJobs and RayServices are not created by rayctl.',
    ]);
  });

  test("the pinned CRD's schema, at the document's lines, before the platform's rules", () => {
    expect(refusal(file("apiVersion: ray.io/v1\nkind: RayCluster\nspec: 5\n"))).toEqual([
      "c.yaml:3:7 spec: must be object, says KubeRay 1.7.0's RayCluster CRD; fix the value.",
    ]);
    // A field the platform sets (hostNetwork) waits until the schema is satisfied.
    const bad = SAMPLE.replace(
      "  - replicas: 1\n    minReplicas: 1\n    maxReplicas: 5",
      "  - replicas: two\n    minReplicas: 1\n    maxReplicas: 5",
    ).replace(
      "        containers:\n        - name: ray-head",
      "        hostNetwork: true\n        containers:\n        - name: ray-head",
    );
    expect(refusal(file(bad))).toEqual([
      "c.yaml:28:15 spec.workerGroupSpecs[0].replicas: must be integer, says KubeRay 1.7.0's RayCluster CRD; fix the value.",
    ]);
  });

  test("a platform whose KubeRay this rayctl does not know: install the matching rayctl", () => {
    expect(refusal(file(SAMPLE), { ...dev(), kuberayVersion: "0.9.9" })).toEqual([
      "c.yaml: the platform runs KubeRay 0.9.9, whose RayCluster schema this rayctl does not carry; install the rayctl of the platform's version.",
    ]);
  });

  test("what the platform sets is refused at its key", () => {
    const doc =
      "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: { name: x }\nspec:\n  headGroupSpec:\n    template:\n      spec:\n        hostNetwork: true\n        containers: [{ name: ray-head, image: rayproject/ray:2.52.0 }]\n";
    expect(refusal(file(doc))).toEqual([
      "c.yaml:8:9 spec.headGroupSpec.template.spec.hostNetwork: is set by the platform (security context, volumes, scheduling, images and Services come from its rules); remove it; a RayCluster file may set containers, nodeSelector here.",
    ]);
  });

  test("the platform's rules wait until the file sets only what it may", () => {
    const doc =
      "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: { name: My_Cluster }\nspec:\n  headGroupSpec:\n    template:\n      spec:\n        hostNetwork: true\n        containers: [{ name: ray-head, image: rayproject/ray:2.52.0 }]\n";
    expect(refusal(file(doc))).toEqual([
      "c.yaml:8:9 spec.headGroupSpec.template.spec.hostNetwork: is set by the platform (security context, volumes, scheduling, images and Services come from its rules); remove it; a RayCluster file may set containers, nodeSelector here.",
    ]);
  });

  test("the platform's rules' problems point into the document: metadata.name, a container's GPU limit", () => {
    expect(refusal({ name: "other", ...file(SAMPLE) })).toEqual([
      'c.yaml:6:9 metadata.name: names the cluster "raycluster-kuberay" but the command line says "other"; drop the name argument or make them equal.',
    ]);
    expect(refusal(file(SAMPLE.replace("name: raycluster-kuberay", "name: My_Cluster")))).toEqual([
      'c.yaml:6:9 metadata.name: "My_Cluster" is not a valid name; use lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (e.g. "my-cluster").',
    ]);
    expect(refusal(file(SAMPLE.replace('nvidia.com/gpu: "1"', 'nvidia.com/gpu: "2"')))).toEqual([
      'c.yaml:56:31 spec.workerGroupSpecs[1].template.spec.containers[0].resources.limits.nvidia.com/gpu: 2 t4 GPUs do not fit one node of pool "t4", which has 1; ask for at most 1 or use a pool with bigger nodes.',
    ]);
  });
});

describe("the objects rayctl creates", () => {
  const MANAGED = { "app.kubernetes.io/managed-by": "rayctl" };
  const objects = (o: Options, team = recsys(), notebooks?: Record<string, string>) => {
    const { cluster } = resolve(o, dev(), team);
    return { cluster, objects: renderClusterObjects(cluster, notebooks, "t0ken") };
  };

  test("in a team namespace: the RayCluster and its token, labelled as rayctl's, without Pulumi's annotation; nothing else unasked", () => {
    const { cluster, objects: o } = objects({ name: "x" });
    const rc = renderRayCluster(cluster);
    expect(o.rayCluster).toStrictEqual({
      ...rc,
      metadata: { name: "x", namespace: "recsys", labels: { ...rc.metadata.labels, ...MANAGED } },
    });
    expect(rc.metadata.annotations).toEqual({ "pulumi.com/patchForce": "true" });
    const secret = clusterTokenSecret(cluster, "t0ken") as Record<string, any>;
    expect(o.token).toStrictEqual({
      apiVersion: "v1",
      kind: "Secret",
      ...secret,
      metadata: { ...secret.metadata, labels: { ...secret.metadata.labels, ...MANAGED } },
    });
    expect(o.token.stringData).toEqual({ auth_token: "t0ken" });
    expect([o.tutorials, o.tools, o.confinement]).toEqual([undefined, undefined, undefined]);
  });

  test("an autoscaled cluster with a description keeps its own annotations", () => {
    const { objects: o } = objects(
      file("name: x\ndescription: Try it.\nworkerGroups:\n  - name: w\n    maxReplicas: 2\n"),
    );
    expect(o.rayCluster.metadata.annotations).toStrictEqual({
      "ray-platform/description": "Try it.",
      "kueue.x-k8s.io/elastic-job": "true",
    });
    expect(o.rayCluster.metadata.labels).toMatchObject(MANAGED);
  });

  test("in the playground, with tutorials and VS Code: the notebooks, the tools' Service and the own-pods NetworkPolicy, all rayctl's", () => {
    const playground = teamOf("dev", "ray-playground");
    const notebooks = { "01-intro.ipynb": "{}" };
    const { cluster, objects: o } = objects(
      { name: "x", namespace: "ray-playground", withTutorials: true, vscodeServer: true },
      playground,
      notebooks,
    );
    const relabelled = (obj: Record<string, any>, apiVersion: string, kind: string) => ({
      apiVersion,
      kind,
      ...obj,
      metadata: { ...obj.metadata, labels: { ...obj.metadata.labels, ...MANAGED } },
    });
    expect(o.tutorials).toStrictEqual(relabelled(tutorialsConfigMap(cluster, notebooks), "v1", "ConfigMap"));
    expect(o.tutorials?.data).toEqual(notebooks);
    expect(o.tools).toStrictEqual(relabelled(defined(toolsService(cluster), "tools"), "v1", "Service"));
    expect(o.tools?.spec.ports.map((p: { name: string }) => p.name)).toEqual(["notebook", "vscode"]);
    expect(o.confinement).toStrictEqual(
      relabelled(ownPodsPolicy(cluster), "networking.k8s.io/v1", "NetworkPolicy"),
    );
    expect(o.confinement?.metadata.name).toBe("x-own-pods");
    expect(o.rayCluster.metadata.labels).toMatchObject(MANAGED);
    expect(o.rayCluster.metadata).not.toHaveProperty("annotations");
    // Tutorials without the notebooks read: an empty ConfigMap, still the cluster's.
    expect(renderClusterObjects(cluster, undefined, "t").tutorials?.data).toStrictEqual({});
  });

  test("a notebook alone gets the tools' Service and no tutorials; a team namespace no NetworkPolicy", () => {
    const { objects: o } = objects({ name: "x", notebook: true });
    expect(o.tools?.kind).toBe("Service");
    expect(o.tools?.metadata.labels).toMatchObject(MANAGED);
    expect([o.tutorials, o.confinement]).toEqual([undefined, undefined]);
  });
});
