/**
 * A team's Kueue queue from its team file's quota (config/kueue.ts), without evaluating the
 * program: what the ClusterQueue gets (nominal quota, borrowing and lending limits, weight, the
 * namespace quota's ceiling), and the rules that refuse a team file, word for word. Fast on
 * purpose: mutation testing (npm run test:mutation) runs it for every mutant of config/kueue.ts.
 *
 * Mutation testing leaves these mutants of kueue.ts alive, each equivalent or detected where
 * StrykerJS does not count it:
 * - `.filter(([t]) => gpuTypes.includes(t))` of the borrowing and lending limits left out: a
 *   limit for a type the stack does not offer gets the team file refused ("is not a GPU this
 *   stack offers") before its queue is used, and checks no other limit meanwhile;
 * - `if (clusters.length === 0) return;` as `if (false)`: with no cluster, none is the
 *   smallest, and nothing is reported all the same;
 * - sharingSchema's body emptied: the team file's schema throws as it loads, so every test file
 *   fails to load; vitest reports such a file as having no tests, which StrykerJS's vitest
 *   runner (9.6.1) counts as surviving.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { formatAmounts, type ResolvedTeamQueue } from "../config/kueue";
import { clusterQueue, localQueue } from "../render/kueue";
import { renderRayCluster } from "../render/rayCluster";
import { defined } from "./defined";
import { configProblems, loadConfig, teamsDir } from "./mocks";

const GI = 2 ** 30;
const VISION = fs.readFileSync(path.join(__dirname, "fixtures", "vision.yaml"), "utf8");
/** vision.yaml with `extra` added to its quota (two-space indented keys). */
const withQuota = (extra: string) => VISION.replace("    t4: 4\n", `    t4: 4\n${extra}`);
const queueOf = (text: string, team = "vision"): ResolvedTeamQueue =>
  loadConfig({ teams: teamsDir({ "vision.yaml": text }) }).teams.find((t) => t.name === team)!.queue;
const problems = (files: Record<string, string>, opts?: { withRepoTeams?: boolean }) =>
  configProblems({ teams: teamsDir(files, opts) });

describe("the queue a team file resolves to", () => {
  test("nominal quota from the quota, every offered GPU type in it, 0 for types the file leaves out", () => {
    const q = queueOf(VISION);
    expect(formatAmounts(q.nominal)).toEqual({ cpu: "64", memory: "256Gi", gpus: { a100: "0", t4: "4" } });
  });

  test("by default a team borrows nothing of anything, sets no limits, lends all, and weighs 1", () => {
    const q = queueOf(VISION);
    expect(formatAmounts(q.borrowing)).toEqual({ cpu: "0", memory: "0", gpus: { a100: "0", t4: "0" } });
    for (const limits of [q.borrowingSet, q.lending]) {
      expect(limits.cpu).toBeUndefined();
      expect(limits.memoryBytes).toBeUndefined();
      expect(limits.gpus).toEqual({});
    }
    expect(q.fairSharingWeight).toBe(1);
    expect(q.ceiling).toEqual(q.nominal);
  });

  test("borrowing and lending limits per resource, the weight, and a ceiling of quota plus borrowing", () => {
    const q = queueOf(
      withQuota(
        "  borrowing: { cpu: 500m, memory: 1Gi, gpus: { t4: 2 } }\n  lending: { cpu: 8, memory: 64Gi, gpus: { t4: 1 } }\n  fairSharingWeight: 2.5\n",
      ),
    );
    expect(formatAmounts(q.borrowing)).toEqual({ cpu: "500m", memory: "1Gi", gpus: { a100: "0", t4: "2" } });
    expect(q.borrowingSet).toEqual({ cpu: 0.5, memoryBytes: GI, gpus: { t4: 2 } });
    expect(q.lending).toEqual({ cpu: 8, memoryBytes: 64 * GI, gpus: { t4: 1 } });
    expect(q.fairSharingWeight).toBe(2.5);
    expect(formatAmounts(q.ceiling)).toEqual({
      cpu: "64500m",
      memory: "257Gi",
      gpus: { a100: "0", t4: "6" },
    });
  });

  test("a file that borrows some resources borrows none of the others", () => {
    const cpuOnly = queueOf(withQuota("  borrowing: { cpu: 2 }\n"));
    expect(formatAmounts(cpuOnly.borrowing)).toEqual({ cpu: "2", memory: "0", gpus: { a100: "0", t4: "0" } });
    expect(cpuOnly.borrowingSet.memoryBytes).toBeUndefined();
    const memoryOnly = queueOf(withQuota("  borrowing: { memory: 2Gi }\n  lending: { memory: 1Gi }\n"));
    expect(formatAmounts(memoryOnly.borrowing)).toEqual({
      cpu: "0",
      memory: "2Gi",
      gpus: { a100: "0", t4: "0" },
    });
    expect(memoryOnly.borrowingSet.cpu).toBeUndefined();
    expect(memoryOnly.lending).toEqual({ memoryBytes: GI, gpus: {} });
    expect(memoryOnly.lending.cpu).toBeUndefined();
  });

  test("quantities as the API server stores them", () => {
    const q = queueOf(VISION.replace("memory: 256Gi", "memory: 1024Gi").replace("cpu: 64", "cpu: 64500m"));
    expect(formatAmounts(q.nominal)).toMatchObject({ cpu: "64500m", memory: "1Ti" });
  });
});

describe("what Kueue sees of the queue", () => {
  // Loaded in the tests, not as the file loads: a mutant that breaks loading fails them.
  let loaded: ReturnType<typeof loadConfig> | undefined;
  const config = () => (loaded ??= loadConfig({ teams: teamsDir({ "vision.yaml": VISION }) }));
  const spec = (team: string) =>
    clusterQueue(config().teams.find((t) => t.name === team)!).spec as Record<string, unknown>;

  test("every team's ClusterQueue is in one named cohort (an empty one is none: nothing lent or borrowed)", () => {
    const cohorts = new Set(config().teams.map((t) => spec(t.name).cohortName));
    expect(cohorts.size).toBe(1);
    expect([...cohorts][0]).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  test("the namespace's LocalQueue is named default, which Kueue gives a job without a queue name, and each RayCluster names it", () => {
    const team = config().teams.find((t) => t.name === "vision")!;
    expect(localQueue(team).metadata).toMatchObject({ name: "default", namespace: "vision" });
    const rc = renderRayCluster(defined(team.rayClusters[0], "vision's first RayCluster")) as Record<
      string,
      any
    >;
    expect(rc.metadata.labels["kueue.x-k8s.io/queue-name"]).toBe("default");
  });

  test("an autoscaled RayCluster is one of Kueue's elastic jobs: its annotation, and its gate on every pod template", () => {
    const first = config().teams.find((t) => t.name === "vision")?.rayClusters[0];
    const rc = renderRayCluster(defined(first, "vision's first RayCluster")) as Record<string, any>;
    expect(rc.spec.enableInTreeAutoscaling).toBe(true);
    expect(rc.metadata.annotations["kueue.x-k8s.io/elastic-job"]).toBe("true");
    for (const t of [rc.spec.headGroupSpec.template, ...rc.spec.workerGroupSpecs.map((g: any) => g.template)])
      expect(t.spec.schedulingGates).toEqual([{ name: "kueue.x-k8s.io/elastic-job" }]);
  });
});

describe("rules of a team's queue", () => {
  const vision = (text: string) => problems({ "vision.yaml": text });

  test("a weight from 0.001 to 1000000 is a weight; just outside is refused", () => {
    for (const w of ["0.001", "1000000"])
      expect(vision(withQuota(`  fairSharingWeight: ${w}\n`)), w).toEqual([]);
    for (const w of ["0.0009", "1000001"])
      expect(vision(withQuota(`  fairSharingWeight: ${w}\n`)), w).toEqual([
        `teams/vision.yaml:10:22 quota.fairSharingWeight: is ${w}, outside what a weight can be here (0.001 to 1000000): weights compare teams, so 0.5, 1 and 4 say it; use a number in that range.`,
      ]);
  });

  test("a weight of 0 or below is refused", () => {
    for (const w of ["0", "-1"])
      expect(vision(withQuota(`  fairSharingWeight: ${w}\n`)), w).toEqual([
        `teams/vision.yaml:10:22 quota.fairSharingWeight: is ${w}, but a fair-sharing weight must be above 0 (2 gets twice the share of idle quota of a team with 1); set a positive number or remove it.`,
      ]);
  });

  test("a CPU or memory limit that is no quantity, or negative", () => {
    expect(vision(withQuota("  borrowing: { cpu: 2 cores, memory: -1Gi }\n"))).toEqual([
      'teams/vision.yaml:10:21 quota.borrowing.cpu: "2 cores" is not a valid CPU quantity; write a Kubernetes quantity such as 4, 500m, 48Gi or 1Ti.',
      'teams/vision.yaml:10:38 quota.borrowing.memory: "-1Gi" is negative; an amount of memory is 0 or more.',
    ]);
  });

  test("a GPU limit that is not a whole number", () => {
    expect(vision(withQuota("  borrowing:\n    gpus: { t4: 1.5 }\n"))).toEqual([
      "teams/vision.yaml:11:17 quota.borrowing.gpus.t4: expected a whole number of GPUs, got 1.5; drop the fraction.",
    ]);
  });

  test("a GPU type the stack does not offer, in lending", () => {
    expect(vision(withQuota("  lending:\n    gpus: { h100: 1, t4: 1 }\n"))).toEqual([
      'teams/vision.yaml:11:13 quota.lending.gpus.h100: "h100" is not a GPU this stack offers (offered: a100, t4); remove it.',
    ]);
  });

  test("a GPU type in a stack that offers none", () => {
    const cpuPools = [
      { name: "system", role: "system", machineType: "e2-standard-4", minNodes: 1, maxNodes: 3 },
      { name: "ray-head", role: "ray-head", machineType: "n2-standard-16", minNodes: 0, maxNodes: 10 },
    ];
    const text = [
      "name: vision",
      "description: Image models.",
      "owners: [user:ana@example.com]",
      "quota:",
      "  cpu: 64",
      "  memory: 256Gi",
      "  lending: { gpus: { t4: 1 } }",
      "",
    ].join("\n");
    expect(
      configProblems({
        teams: teamsDir({ "vision.yaml": text }, { withRepoTeams: false }),
        overrides: { "ray-platform:nodePools": cpuPools },
      }),
    ).toEqual([
      'teams/vision.yaml:7:22 quota.lending.gpus.t4: "t4" is not a GPU this stack offers (offered: none); remove it.',
    ]);
  });

  test("lending memory, or a GPU type the team has no quota of, above the quota", () => {
    expect(vision(withQuota("  lending:\n    memory: 257Gi\n    gpus: { a100: 1 }\n"))).toEqual([
      "teams/vision.yaml:11:13 quota.lending.memory: is 257Gi, more than the team's quota of it (256Gi); a team can lend only its own quota. Lower it to at most 256Gi.",
      "teams/vision.yaml:12:19 quota.lending.gpus.a100: is 1 a100 GPUs, more than the team's quota of it (0 a100 GPUs); a team can lend only its own quota. Lower it to at most 0 a100 GPUs.",
    ]);
  });

  test("lending exactly the quota is lending all of it", () => {
    expect(vision(withQuota("  lending: { cpu: 64, memory: 256Gi, gpus: { t4: 4 } }\n"))).toEqual([]);
  });
});

describe("the team's smallest RayCluster must fit its own quota", () => {
  const vision = (text: string) => problems({ "vision.yaml": text });
  // vision.yaml's "detector" is a head alone when created (14500m CPUs, 56832Mi: a head node, less
  // sidecars); "big" adds a T4 worker, and comes first in the file.
  const twoClusters = VISION.replace(
    "rayClusters:\n",
    "rayClusters:\n  - name: big\n    workerGroups:\n      - name: t4\n        gpu: { type: t4 }\n        minReplicas: 1\n        maxReplicas: 2\n",
  );

  test("every resource it is short of, in one message", () => {
    expect(vision(VISION.replace("cpu: 64", "cpu: 8").replace("memory: 256Gi", "memory: 8Gi"))).toEqual([
      'teams/vision.yaml:6:8 quota.cpu: cannot hold even the team\'s smallest RayCluster, "detector", which needs 14500m CPUs (quota: 8 CPUs), 56832Mi (quota: 8Gi) when created: it would only ever run on quota borrowed from other teams, and be preempted when they take it back. Raise quota.cpu, quota.memory or make the cluster smaller.',
    ]);
  });

  test("a cluster that needs exactly the quota fits; only what it is short of is named", () => {
    // Borrowing holds the rest of maxReplicas.
    const exact = VISION.replace("cpu: 64", "cpu: 14500m")
      .replace("memory: 256Gi", "memory: 56832Mi")
      .replace("    t4: 4\n", "    t4: 4\n  borrowing: { cpu: 30, memory: 104Gi }\n");
    expect(vision(exact)).toEqual([]);
    expect(vision(VISION.replace("cpu: 64", "cpu: 14500m").replace("memory: 256Gi", "memory: 55Gi"))).toEqual(
      [
        'teams/vision.yaml:7:11 quota.memory: cannot hold even the team\'s smallest RayCluster, "detector", which needs 56832Mi (quota: 55Gi) when created: it would only ever run on quota borrowed from other teams, and be preempted when they take it back. Raise quota.memory or make the cluster smaller.',
      ],
    );
    // Memory in bytes is too large a number for the 1e-9 of slack to change it: exactly the quota is still no shortfall.
    expect(vision(VISION.replace("cpu: 64", "cpu: 8").replace("memory: 256Gi", "memory: 56832Mi"))).toEqual([
      'teams/vision.yaml:6:8 quota.cpu: cannot hold even the team\'s smallest RayCluster, "detector", which needs 14500m CPUs (quota: 8 CPUs) when created: it would only ever run on quota borrowed from other teams, and be preempted when they take it back. Raise quota.cpu or make the cluster smaller.',
    ]);
  });

  test("GPUs it is short of, by type", () => {
    const text = VISION.replace("    t4: 4", "    t4: 4\n    a100: 1")
      .replace("gpu: { type: t4 }", "gpu: { type: a100 }")
      .replace("minReplicas: 0", "minReplicas: 2");
    expect(vision(text)).toEqual([
      'teams/vision.yaml:10:11 quota.gpus.a100: cannot hold even the team\'s smallest RayCluster, "detector", which needs 2 a100 GPUs (quota: 1 a100 GPUs) when created: it would only ever run on quota borrowed from other teams, and be preempted when they take it back. Raise quota.gpus.a100 or make the cluster smaller.',
    ]);
  });

  test("the smallest is the one with the fewest GPUs, then the least CPU, then the least memory", () => {
    // None fits 1 CPU and 1Gi. "gpu" has the least CPU, but a GPU; "more-cpu" the least memory.
    const head = (name: string, cpu: number, memory: string) =>
      `  - name: ${name}\n    head: { cpu: ${cpu}, memory: ${memory} }\n`;
    const text = VISION.replace("cpu: 64", "cpu: 1")
      .replace("memory: 256Gi", "memory: 1Gi")
      .replace("  - name: detector\n", "  - name: gpu\n    head: { cpu: 1, memory: 4Gi }\n")
      .replace("        minReplicas: 0\n", "        cpu: 1\n        minReplicas: 1\n")
      .concat(head("more-cpu", 4, "8Gi"), head("more-memory", 3, "16Gi"), head("smallest", 3, "12Gi"));
    expect(vision(text)).toEqual([
      expect.stringMatching(
        /^teams\/vision\.yaml:6:8 quota\.cpu: cannot hold even the team's smallest RayCluster, "smallest", which needs /,
      ),
    ]);
  });

  test("the smallest by GPUs first, then CPU, wherever it is in the file", () => {
    expect(vision(twoClusters.replace("memory: 256Gi", "memory: 40Gi"))).toEqual([
      'teams/vision.yaml:7:11 quota.memory: cannot hold even the team\'s smallest RayCluster, "detector", which needs 56832Mi (quota: 40Gi) when created: it would only ever run on quota borrowed from other teams, and be preempted when they take it back. Raise quota.memory or make the cluster smaller.',
    ]);
  });

  test("one cluster that fits is enough, even when a bigger one comes first", () => {
    // Borrowing lets both grow to their maxReplicas.
    expect(
      vision(twoClusters.replace("memory: 256Gi", "memory: 60Gi\n  borrowing: { memory: 100Gi }")),
    ).toEqual([]);
  });
});

describe("borrowing across the cohort", () => {
  const other = (name: string, extra = "") => withQuota(extra).replace("name: vision", `name: ${name}`);

  test("a team alone with one other: what that one lends, its whole quota where it sets no limit", () => {
    expect(
      problems(
        {
          "vision.yaml": withQuota("  borrowing: { cpu: 11, memory: 257Gi }\n"),
          "other.yaml": other("other", "  lending: { cpu: 10 }\n"),
        },
        { withRepoTeams: false },
      ),
    ).toEqual([
      "teams/vision.yaml:10:21 quota.borrowing.cpu: is 11 CPUs, but the other 1 team of the cohort can lend at most 10 CPUs of it together; lower it to at most 10 CPUs (or raise what other teams lend).",
      "teams/vision.yaml:10:33 quota.borrowing.memory: is 257Gi, but the other 1 team of the cohort can lend at most 256Gi of it together; lower it to at most 256Gi (or raise what other teams lend).",
    ]);
  });

  test("what the others lend together; borrowing exactly that is allowed", () => {
    const files = (borrowing: string) => ({
      "vision.yaml": withQuota(`  borrowing: ${borrowing}\n`),
      "a.yaml": other("a", "  lending: { memory: 1Gi }\n"),
      "b.yaml": other("b", "  lending: { memory: 2Gi, gpus: { t4: 1 } }\n"),
    });
    expect(problems(files("{ memory: 3Gi, gpus: { t4: 5 } }"), { withRepoTeams: false })).toEqual([]);
    expect(problems(files("{ memory: 4Gi, gpus: { t4: 6 } }"), { withRepoTeams: false })).toEqual([
      "teams/vision.yaml:10:24 quota.borrowing.memory: is 4Gi, but the other 2 teams of the cohort can lend at most 3Gi of it together; lower it to at most 3Gi (or raise what other teams lend).",
      "teams/vision.yaml:10:41 quota.borrowing.gpus.t4: is 6 t4 GPUs, but the other 2 teams of the cohort can lend at most 5 t4 GPUs of it together; lower it to at most 5 t4 GPUs (or raise what other teams lend).",
    ]);
  });
});
