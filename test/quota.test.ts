/**
 * rayctl's quota check (client/src/quota.ts) on its own: what fits, what does not, and the one
 * message it gives, against ResourceQuotas shaped as the program renders them (render/tenancy.ts:
 * team-quota, and a gpu-<type> quota scoped to the type's PriorityClass).
 *
 * Mutation testing (npm run test:mutation) leaves these mutants of quota.ts alive, each
 * equivalent: `need > free + 1e-9` as `>=` (they differ only when need - free is exactly 1e-9);
 * `?? "0"` for a missing `used` as `?? ""` (parseQuantity("") is undefined, then 0 all the same);
 * `bytes >= GI` as `>` (noted at its test).
 */
import { describe, expect, test } from "vitest";
import { checkQuota, type QuotaHints } from "../client/src/quota";
import { gpuPriorityClass } from "../config/wire";
import { type PlatformFacts, type TeamFacts } from "../render/platformFacts";

const GI = 2 ** 30;
const facts = {
  gpuTypes: [
    { type: "t4", gkeType: "nvidia-tesla-t4", memoryGb: 16 },
    { type: "a100", gkeType: "nvidia-tesla-a100", memoryGb: 40 },
  ],
} as unknown as PlatformFacts;
const team = { team: "recsys", file: "recsys.yaml" } as TeamFacts;
const hints: QuotaHints = {
  what: "this cluster",
  lower: (dims) => `ask for less (${[...dims].sort().join(",")})`,
};

const teamQuota = (hard: Record<string, string>, used: Record<string, string> = {}) => ({
  metadata: { name: "team-quota" },
  spec: { hard },
  status: { hard, used },
});
const gpuQuota = (type: string, hard: string, used = "0") => ({
  metadata: { name: `gpu-${type}` },
  spec: {
    hard: { "requests.nvidia.com/gpu": hard },
    scopeSelector: {
      matchExpressions: [
        {
          scopeName: "PriorityClass",
          operator: "In",
          values: [gpuPriorityClass(facts.gpuTypes.find((t) => t.type === type)!.gkeType)],
        },
      ],
    },
  },
  status: { hard: { "requests.nvidia.com/gpu": hard }, used: { "requests.nvidia.com/gpu": used } },
});
const demand = (d: { cpu?: number; memoryBytes?: number; gpus?: Record<string, number> }) => ({
  cpu: d.cpu ?? 0,
  memoryBytes: d.memoryBytes ?? 0,
  gpus: d.gpus ?? {},
});

/** The message, or "" when it fits. */
function refusal(quotas: object[], d: ReturnType<typeof demand>, newCluster = false): string {
  try {
    checkQuota(quotas as never, d, facts, team, hints, newCluster);
    return "";
  } catch (err) {
    return (err as Error).message;
  }
}

describe("what fits", () => {
  test("exactly what is left fits, fractions included; a hair more does not", () => {
    const q = teamQuota({ "requests.cpu": "2" }, { "requests.cpu": "1500m" });
    expect(refusal([q], demand({ cpu: 0.5 }))).toBe("");
    expect(refusal([q], demand({ cpu: 0.51 }))).toBe(
      "recsys's quota cannot hold this cluster:\n  CPUs: needs 0.51, 0.5 of 2 free (quota.cpu)\nAsk for less (cpu), or have the team's owners raise quota.cpu in recsys.yaml.",
    );
  });

  test("nothing asked is nothing checked, even against a zero quota; a key the quota lacks is not limited", () => {
    expect(refusal([teamQuota({ "requests.cpu": "0", "requests.memory": "0" })], demand({}))).toBe("");
    expect(refusal([teamQuota({ "requests.memory": "1Gi" })], demand({ cpu: 1000 }))).toBe("");
  });

  test("used above hard (quota lowered under what runs) leaves nothing free, not a negative amount", () => {
    expect(
      refusal([teamQuota({ "requests.cpu": "4" }, { "requests.cpu": "6" })], demand({ cpu: 1 })),
    ).toContain("CPUs: needs 1, 0 of 4 free (quota.cpu)");
  });

  test("a quota with parts missing (no status yet, no used, no hard, no spec) limits what it names and nothing else", () => {
    const cpu = demand({ cpu: 3 });
    expect(
      refusal([{ metadata: { name: "q" }, spec: { hard: { "requests.cpu": "2" } }, status: {} }], cpu),
    ).toContain("CPUs: needs 3, 2 of 2 free");
    expect(refusal([{ metadata: { name: "q" }, status: { hard: { "requests.cpu": "4" } } }], cpu)).toBe("");
    expect(
      refusal(
        [
          { metadata: { name: "q" }, spec: {} },
          { metadata: { name: "r" }, status: {} },
        ],
        cpu,
      ),
    ).toBe("");
  });

  test("the quota controller's status is what counts: status.hard over spec.hard", () => {
    const q = {
      metadata: { name: "team-quota" },
      spec: { hard: { "requests.cpu": "100" } },
      status: { hard: { "requests.cpu": "2" }, used: {} },
    };
    expect(refusal([q], demand({ cpu: 3 }))).toContain("CPUs: needs 3, 2 of 2 free");
    // Before the controller fills the status, the spec.
    expect(
      refusal(
        [{ metadata: { name: "team-quota" }, spec: { hard: { "requests.cpu": "2" } } }],
        demand({ cpu: 3 }),
      ),
    ).toContain("2 of 2 free");
  });
});

describe("GPUs", () => {
  test("each type against its own PriorityClass-scoped quota; the namespace total is then not said again", () => {
    const m = refusal(
      [gpuQuota("t4", "4", "3"), gpuQuota("a100", "2"), teamQuota({ "requests.nvidia.com/gpu": "6" })],
      demand({ gpus: { t4: 2, a100: 1 } }),
    );
    expect(m.split("\n")).toEqual([
      "recsys's quota cannot hold this cluster:",
      "  t4 GPUs: needs 2, 1 of 4 free (quota.gpus.t4)",
      "Ask for less (gpus), or have the team's owners raise quota.gpus.t4 in recsys.yaml.",
    ]);
  });

  test("when every type fits its own but not the total, the total is said, by the types asked for", () => {
    const m = refusal(
      [gpuQuota("t4", "4"), gpuQuota("a100", "4"), teamQuota({ "requests.nvidia.com/gpu": "3" })],
      demand({ gpus: { t4: 2, a100: 2 } }),
    );
    expect(m).toContain("  GPUs: needs 4, 3 of 3 free (quota.gpus.t4, quota.gpus.a100)");
  });

  test("a scoped quota checks only the types its PriorityClass selects, whatever other scopes it lists", () => {
    expect(refusal([gpuQuota("a100", "0")], demand({ gpus: { t4: 3 } }))).toBe("");
    const t4 = gpuQuota("t4", "1");
    const withOther = {
      ...t4,
      spec: {
        ...t4.spec,
        scopeSelector: {
          matchExpressions: [
            { scopeName: "CrossNamespacePodAffinity", operator: "Exists" },
            ...t4.spec.scopeSelector.matchExpressions,
          ],
        },
      },
    };
    expect(refusal([withOther], demand({ gpus: { t4: 2 } }))).toContain("t4 GPUs: needs 2, 1 of 1 free");
    // Scopes without a PriorityClass expression, or none listed: not a GPU type's quota.
    const unscoped = {
      ...t4,
      spec: {
        ...t4.spec,
        scopeSelector: { matchExpressions: [{ scopeName: "BestEffort", operator: "Exists" }] },
      },
    };
    expect(
      refusal([unscoped, { ...t4, spec: { ...t4.spec, scopeSelector: {} } }], demand({ gpus: { t4: 2 } })),
    ).toContain("  GPUs: needs 2, 1 of 1 free (quota.gpus.t4)");
  });

  test("the total names only the types the cluster asks for", () => {
    expect(
      refusal([teamQuota({ "requests.nvidia.com/gpu": "1" })], demand({ gpus: { t4: 2, a100: 0 } })),
    ).toContain("  GPUs: needs 2, 1 of 1 free (quota.gpus.t4)\n");
  });
});

describe("the message", () => {
  // Equivalent mutant: `bytes >= GI` as `bytes > GI` reads exactly 1Gi as formatMemory's "1Gi" too.
  test("memory reads in Gi with two decimals at most, Mi below a Gi", () => {
    expect(refusal([teamQuota({ "requests.memory": "2Gi" })], demand({ memoryBytes: 2.555 * GI }))).toContain(
      "memory: needs 2.56Gi, 2Gi of 2Gi free",
    );
    expect(
      refusal([teamQuota({ "requests.memory": "512Mi" })], demand({ memoryBytes: 768 * 2 ** 20 })),
    ).toContain("memory: needs 768Mi, 512Mi of 512Mi free");
  });

  test("several shortfalls: a line each, fields joined with commas and a final and", () => {
    const q = teamQuota({ "requests.cpu": "1", "requests.memory": "1Gi", "requests.nvidia.com/gpu": "0" });
    const m = refusal([q], demand({ cpu: 2, memoryBytes: 2 * GI, gpus: { t4: 1 } }));
    expect(m.split("\n").slice(1, 4)).toEqual([
      "  CPUs: needs 2, 1 of 1 free (quota.cpu)",
      "  memory: needs 2Gi, 1Gi of 1Gi free (quota.memory)",
      "  GPUs: needs 1, 0 of 0 free (quota.gpus.t4)",
    ]);
    expect(m.split("\n")[4]).toBe(
      "Ask for less (cpu,gpus,memory), or have the team's owners raise quota.cpu, quota.memory and quota.gpus.t4 in recsys.yaml.",
    );
  });

  test("a new cluster counts against quota.rayClusters, whose remedy is deleting one; a scale does not", () => {
    const full = teamQuota({ "count/rayclusters.ray.io": "2" }, { "count/rayclusters.ray.io": "2" });
    expect(refusal([full], demand({ cpu: 1 }), false)).toBe("");
    expect(
      refusal([full], demand({ cpu: 1 }), true)
        .split("\n")
        .slice(1),
    ).toEqual([
      "  RayClusters: needs 1, 0 of 2 free (quota.rayClusters)",
      "Delete a cluster you no longer use, or have the team's owners raise quota.rayClusters in recsys.yaml.",
    ]);
    const both = refusal(
      [
        {
          ...full,
          spec: { hard: { ...full.spec.hard, "requests.cpu": "1" } },
          status: { hard: { ...full.status.hard, "requests.cpu": "1" }, used: full.status.used },
        },
      ],
      demand({ cpu: 2 }),
      true,
    );
    expect(both.split("\n").at(-1)).toBe(
      "Ask for less (cpu,rayClusters) or delete a cluster you no longer use, or have the team's owners raise quota.cpu and quota.rayClusters in recsys.yaml.",
    );
  });
});
