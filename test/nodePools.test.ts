/** Node pool rules, over random pool configurations (fast-check) and a few fixed cases. */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { catalog } from "../config/catalog";
import { type PathSegment } from "../config/errors";
import { resolveNodePools } from "../config/nodePools";
import { nodePoolSchema } from "../config/stackFile";
import { defined, only } from "./defined";

const CLUSTER_ZONES = ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"];
const ctx = { mode: "gke" as const, region: "us-central1", clusterZones: CLUSTER_ZONES, catalog: catalog() };

/** The rules a rejected pool may break, as the start of their messages. */
const RULES = [
  /cannot carry \S+ GPUs/,
  /has exactly \d+ GPU\(s\), not \d+/,
  /nodes take [\d, ]+ GPUs, not \d+/,
  /is too big for \d+ \S+ GPU\(s\)/,
  /does not offer|do not offer|none of gke.zones .* offers/,
  /unknown machine type family/,
  /does not exist: .* comes with/,
  /'minNodes' \(\d+\) must be less than or equal to 'maxNodes'/,
  /GPU pools must scale to zero/,
  /always has \d+ \S+ GPU\(s\); add gpu/,
];

const machineTypes = [
  "n1-standard-4",
  "n1-standard-16",
  "n1-standard-96",
  "n1-highmem-64",
  "n2-standard-16",
  "e2-standard-4",
  "a2-highgpu-1g",
  "a2-highgpu-4g",
  "a2-megagpu-16g",
  "a2-ultragpu-2g",
  "z9-weird-8",
  "n1-standard-7",
];

const poolArb = fc.record({
  name: fc.constant("pool"),
  machineType: fc.constantFrom(...machineTypes),
  minNodes: fc.integer({ min: 0, max: 3 }),
  maxNodes: fc.integer({ min: 1, max: 5 }),
  gpu: fc.option(
    fc.record(
      {
        type: fc.constantFrom("t4", "a100", "a100-80gb"),
        count: fc.option(fc.constantFrom(1, 2, 3, 4, 8, 16), { nil: undefined }),
      },
      { requiredKeys: ["type"] },
    ),
    { nil: undefined },
  ),
  zones: fc.option(fc.subarray(CLUSTER_ZONES, { minLength: 1 }), { nil: undefined }),
});

function resolve(raw: unknown) {
  const messages: { path: readonly PathSegment[]; message: string }[] = [];
  const pools = resolveNodePools([nodePoolSchema.parse(raw)], ctx, (path, message) =>
    messages.push({ path, message }),
  );
  return { pools, messages };
}

describe("every random pool", () => {
  test("accepted pools are valid per the data tables; rejected ones name the rule they broke", () => {
    fc.assert(
      fc.property(poolArb, (raw) => {
        const { pools, messages } = resolve(raw);
        const [p] = pools;
        if (p && pools.length === 1) {
          const shape = catalog().machineShape(p.machineType!);
          expect("problem" in shape).toBe(false);
          expect(p.minNodes).toBeLessThanOrEqual(p.maxNodes);
          if (p.gpu) {
            const accel = defined(catalog().accelerators[p.gpu.type], `accelerator ${p.gpu.type}`);
            expect(p.gpu.gkeType).toBe(accel.gkeType);
            expect((shape as any).gpuTypes).toContain(p.gpu.type);
            if ((shape as any).fixedGpu) expect(p.gpu.count).toBe((shape as any).fixedGpu.count);
            else expect(accel.counts!.map((c) => c.count)).toContain(p.gpu.count);
            const offered = defined(accel.zones["us-central1"], `${p.gpu.type} zones in us-central1`).map(
              (z) => `us-central1-${z}`,
            );
            expect(p.zones.length).toBeGreaterThan(0);
            for (const z of p.zones) expect(offered).toContain(z);
            expect(p.minNodes).toBe(0);
            expect(p.taints).toEqual([{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }]);
          } else {
            expect((shape as any).fixedGpu).toBeUndefined();
            // Ray pools are tainted for Ray pods alone; the system pool takes everything else.
            expect(p.taints).toEqual(
              p.role === "system" ? [] : [{ key: "ray-platform/role", value: p.role, effect: "NoSchedule" }],
            );
          }
        } else {
          // Pool-level messages only: a single pool also lacks the system and head pools a stack needs.
          const own = messages.filter((m) => m.path.length > 1);
          expect(own.length).toBeGreaterThan(0);
          for (const m of own)
            expect(
              RULES.some((r) => r.test(m.message)),
              m.message,
            ).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe("fixed cases", () => {
  test("a T4 pool takes 1, 2 or 4 GPUs and limits the machine size by count", () => {
    expect(
      resolve({ name: "p", machineType: "n1-standard-64", maxNodes: 1, gpu: { type: "t4", count: 2 } })
        .messages[0]?.message,
    ).toBe(
      "n1-standard-64 (64 vCPU, 240 GB) is too big for 2 t4 GPU(s), which allow at most 48 vCPU and 312 GB; use a smaller machine or more GPUs.",
    );
    expect(
      resolve({ name: "p", machineType: "n1-standard-64", maxNodes: 1, gpu: { type: "t4", count: 4 } })
        .pools[0]?.gpu,
    ).toEqual({ type: "t4", gkeType: "nvidia-tesla-t4", count: 4 });
  });

  test("an A100 80 GB pool lives only where the accelerator is, and its count comes from the machine type", () => {
    const { pools } = resolve({
      name: "p",
      machineType: "a2-ultragpu-2g",
      maxNodes: 2,
      gpu: { type: "a100-80gb" },
    });
    expect(pools[0]?.zones).toEqual(["us-central1-a", "us-central1-c"]);
    expect(pools[0]?.gpu?.count).toBe(2);
  });

  test("one pod per node gets the node's allocatable minus system DaemonSets (the seed's 15 CPUs on 16 vCPUs)", () => {
    expect(
      resolve({ name: "p", machineType: "n1-standard-16", maxNodes: 1, gpu: { type: "t4" } }).pools[0]
        ?.capacity,
    ).toEqual({ cpu: 15, memoryGi: 52 });
    expect(
      resolve({ name: "p", machineType: "a2-highgpu-1g", maxNodes: 1, gpu: { type: "a100" } }).pools[0]
        ?.capacity,
    ).toEqual({ cpu: 11, memoryGi: 76 });
  });

  test("pods select a pool by its label, and GPU pools by the accelerator label too", () => {
    const p = only(
      resolve({ name: "t4-spot", machineType: "n1-standard-8", maxNodes: 4, spot: true, gpu: { type: "t4" } })
        .pools,
      "pool",
    );
    expect(p.selector).toEqual({
      "ray-platform/pool": "t4-spot",
      "cloud.google.com/gke-accelerator": "nvidia-tesla-t4",
    });
    expect(p.spot).toBe(true);
  });
});
