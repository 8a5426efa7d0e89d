/** What the example stack costs, from data/gke-prices.yaml: pools, team ceilings, RayClusters, and a PR's deltas. */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { poolCost, rayClusterCost, rayClusterHourly, stackMonthlyAtMax, teamCeiling } from "../cost/costs";
import { prices } from "../cost/prices";
import { costChanges, costLines } from "../cost/text";
import { diffPlans } from "../plan/diff";
import { type PlatformView } from "../config/view";
import { platformView } from "../plan/model";
import { markdownReport } from "../plan/report";
import { defined } from "./defined";
import {
  configProblems,
  fixtureText,
  onDemandHourly,
  PROJECT_DIR,
  runProgram,
  teamsDir,
  sharedStack,
} from "./mocks";

/** The plan's view of an evaluation: from the configuration the program validated. */
const viewOf = (ev: Awaited<ReturnType<typeof runProgram>>) => platformView(ev.config!, ev.resources);

const table = prices();
const HOURS = table.hoursPerMonth;
// One node of each dev pool, machine plus GPUs, on demand (none of the dev pools is spot).
const NODE = {
  system: onDemandHourly("machines", "e2-standard-4"),
  "ray-head": onDemandHourly("machines", "n2-standard-16"),
  "cpu-worker": onDemandHourly("machines", "n2-standard-16"),
  t4: onDemandHourly("machines", "n1-standard-16") + onDemandHourly("gpus", "t4"),
  a100: onDemandHourly("machines", "a2-highgpu-1g") + onDemandHourly("gpus", "a100"),
};

let dev: PlatformView;
let devResources: Awaited<ReturnType<typeof runProgram>>["resources"];
beforeAll(async () => {
  const ev = await sharedStack();
  devResources = ev.resources;
  dev = ev.view;
});

const team = (view: PlatformView, name: string) => view.teams.find((t) => t.name === name)!;
const cluster = (view: PlatformView, teamName: string, name: string) =>
  team(view, teamName).rayClusters.find((c) => c.name === name)!;

describe("the dev stack's costs", () => {
  test("each pool: one node an hour, and every node a month", () => {
    const maxNodes = { system: 3, "ray-head": 10, "cpu-worker": 20, t4: 16, a100: 8 };
    expect(dev.pools.map((p) => p.name).sort()).toEqual(Object.keys(NODE).sort());
    for (const pool of dev.pools) {
      const name = pool.name as keyof typeof NODE;
      expect(poolCost(table, pool), name).toEqual({
        nodeHourly: NODE[name],
        monthlyAtMax: NODE[name] * maxNodes[name] * HOURS,
      });
    }
    // The A100 node is the machine and its GPU, as Google bills it: $3.67/hour.
    expect(
      poolCost(
        table,
        dev.pools.find((p) => p.name === "a100")!,
      )!.nodeHourly,
    ).toBeCloseTo(3.673388, 6);
  });

  test("each team's ceiling: its GPUs on whole GPU nodes, its CPU and memory on CPU worker nodes", () => {
    // recsys: 8 T4s on 8 n1-standard-16 nodes; 200 CPUs / 800Gi on n2-standard-16 (16 vCPU, 64 GB): 13 nodes.
    const recsys = teamCeiling(table, team(dev, "recsys"), dev.pools)!;
    expect(recsys.gpus).toEqual({ t4: 8 * NODE.t4 * HOURS, a100: 0 });
    expect(recsys.cpu).toBe(13 * NODE["cpu-worker"] * HOURS);
    expect(recsys.monthly).toBeCloseTo((8 * NODE.t4 + 13 * NODE["cpu-worker"]) * HOURS, 6);
    // tech-research: 4 A100s, 2 T4s; 128 CPUs / 1Ti: max(8, 16) = 16 nodes.
    const tr = teamCeiling(table, team(dev, "tech-research"), dev.pools)!;
    expect(tr.monthly).toBeCloseTo((4 * NODE.a100 + 2 * NODE.t4 + 16 * NODE["cpu-worker"]) * HOURS, 6);
    // ray-playground: 4 T4s; 96 CPUs / 384Gi: 6 nodes.
    expect(teamCeiling(table, team(dev, "ray-playground"), dev.pools)!.monthly).toBeCloseTo(
      (4 * NODE.t4 + 6 * NODE["cpu-worker"]) * HOURS,
      6,
    );
  });

  test("each RayCluster an hour at minReplicas and at maxReplicas, head included, one node per worker", () => {
    const twoTower = cluster(dev, "recsys", "two-tower");
    expect(twoTower.workers.map((w) => [w.name, w.pool, w.minReplicas, w.maxReplicas])).toEqual([
      ["t4", "t4", 0, 4],
      ["preprocess", "cpu-worker", 0, 8],
    ]);
    expect(rayClusterCost(table, twoTower, dev.pools)).toEqual({
      hourlyAtMin: NODE["ray-head"],
      hourlyAtMax: NODE["ray-head"] + 4 * NODE.t4 + 8 * NODE["cpu-worker"],
    });
    const gnn = cluster(dev, "tech-research", "gnn");
    const gnnMax = gnn.workers.reduce(
      (sum, w) => sum + w.maxReplicas * NODE[w.pool as keyof typeof NODE],
      NODE["ray-head"],
    );
    expect(gnn.workers.some((w) => w.pool === "a100" && w.maxReplicas > 0)).toBe(true);
    expect(rayClusterCost(table, gnn, dev.pools)!.hourlyAtMax).toBeCloseTo(gnnMax, 9);
    const playground = cluster(dev, "ray-playground", "my-cluster");
    expect(rayClusterCost(table, playground, dev.pools)).toEqual({
      hourlyAtMin: NODE["ray-head"] + NODE.t4,
      hourlyAtMax: NODE["ray-head"] + NODE.t4,
    });
  });

  test("a running cluster is priced from the workers it reports (what the client shows)", () => {
    const twoTower = cluster(dev, "recsys", "two-tower");
    const expected = NODE["ray-head"] + 2 * NODE.t4 + NODE["cpu-worker"];
    expect(rayClusterHourly(table, twoTower, dev.pools, { t4: 2, preprocess: 1 })).toBeCloseTo(expected, 9);
  });

  test("the stack at maximum scale: every pool at maxNodes and the GKE fee; the plan prints it with the prices' date", () => {
    const pools =
      3 * NODE.system + 10 * NODE["ray-head"] + 20 * NODE["cpu-worker"] + 16 * NODE.t4 + 8 * NODE.a100;
    expect(stackMonthlyAtMax(table, dev)).toBeCloseTo((pools + table.clusterFeeHourly) * HOURS, 6);
    const text = costLines(dev, table).join("\n");
    expect(text).toContain(
      `Costs (list prices in USD of ${table.date}, 730 h a month; data/gke-prices.yaml)`,
    );
    expect(text).toMatch(/a100 +\$3\.67 +\$21,453 \(8 nodes\)/);
    expect(text).toMatch(/recsys +\$13,856/);
    expect(text).toMatch(/recsys\/two-tower +\$0\.78 +\$11\.43/);
    expect(text).toContain("stack at maximum scale: $51,799/month");
  });
});

describe("a pull request's cost", () => {
  test("raising a team's A100 quota shows the ceiling's exact delta and the quota change", async () => {
    const file = fs.readFileSync(path.join(PROJECT_DIR, "teams/tech-research.yaml"), "utf8");
    expect(file).toContain("    a100: 4\n");
    const dir = teamsDir({ "tech-research.yaml": file.replace("    a100: 4\n", "    a100: 8\n") });
    const head = await runProgram({ config: { "ray-platform:teamsDir": dir } });
    const headView = viewOf(head);
    const changes = costChanges(dev, headView, table, 5000);
    const delta = 4 * NODE.a100 * HOURS; // 4 more a2-highgpu-1g nodes, all month: $10,726
    const before = teamCeiling(table, team(dev, "tech-research"), dev.pools)!.monthly;
    const fmt = (n: number) => `$${Math.round(n).toLocaleString("en-US")}`;
    expect(fmt(delta)).toBe("$10,726");
    expect(changes.lines).toEqual([
      `tech-research: ceiling +${fmt(delta)}/month (${fmt(before)} → ${fmt(before + delta)}), quota.gpus.a100 4 → 8`,
    ]);
    // A quota is a promise, not a node: the stack's maximum (its pools) does not move.
    expect(changes.stack!.after).toBe(changes.stack!.before);
    expect(changes.danger).toBeUndefined();
    const report = markdownReport(diffPlans(devResources, head.resources), dev, headView, {
      stack: "dev",
      baseRef: "main",
      maxCostIncrease: 5000,
    });
    expect(report).toContain(`### Cost\n\n- tech-research: ceiling +$10,726/month`);
  });

  test("raising the stack's maximum by more than ray-platform:maxCostIncrease is flagged dangerous", async () => {
    const stack = (await import("../plan/engine")).readStackConfig(PROJECT_DIR, "dev");
    const gke = JSON.parse(
      defined(stack["ray-platform:nodePools"], "ray-platform:nodePools in Pulumi.dev.yaml"),
    );
    gke.find((p: any) => p.name === "a100").maxNodes = 10;
    const head = viewOf(await runProgram({ config: { "ray-platform:nodePools": JSON.stringify(gke) } }));
    const rise = 2 * NODE.a100 * HOURS; // $5,363
    const flagged = costChanges(dev, head, table, 5000);
    expect(flagged.stack!.after - flagged.stack!.before).toBeCloseTo(rise, 6);
    expect(flagged.danger).toBe(
      `the stack's maximum cost rises by $5,363/month ($51,799 → $57,162), more than ray-platform:maxCostIncrease ($5,000)`,
    );
    expect(costChanges(dev, head, table, 6000).danger).toBeUndefined();
  });
});

describe("prices the file lacks", () => {
  test("are an error only for a pool that uses them, at its machineType, naming machine type and region", () => {
    const DEV = fixtureText("Pulumi.dev.yaml");
    const us = defined(table.regions["us-central1"], "us-central1 in data/gke-prices.yaml");
    expect(us.machines["n2-standard-32"]).toBeUndefined();
    const text = DEV.replace(
      "    - name: cpu-worker\n      machineType: n2-standard-16",
      "    - name: cpu-worker\n      machineType: n2-standard-32",
    );
    expect(text).not.toBe(DEV);
    expect(configProblems({ fixture: true, stackFileText: text })).toEqual([
      'Pulumi.dev.yaml:31:20 ray-platform:nodePools[2].machineType: "n2-standard-32" has no price for machine type n2-standard-32 in us-central1 in data/gke-prices.yaml (prices of 2026-11-29); add it from the Cloud Billing Catalog (npm run prices:refresh, or by hand with its source) or pick a priced machine type.',
    ]);
    expect(configProblems({ fixture: true })).toEqual([]);
  });

  test("ray-platform:maxCostIncrease must be an amount", () => {
    expect(configProblems({ overrides: { "ray-platform:maxCostIncrease": "lots" } })).toEqual([
      expect.stringContaining(
        'ray-platform:maxCostIncrease: "lots" is not an amount of US dollars; write a number such as 5000.',
      ),
    ]);
  });
});
