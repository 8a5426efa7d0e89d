/**
 * Node pools: the rules a pool must follow before GKE is asked for it (machine type and GPU
 * agree, zones offer the GPU, counts make sense), and the resolved pools components use.
 */
import { type Catalog, type NodeCapacity } from "./catalog";
import { type Report, show } from "./errors";
import { parseQuantity } from "./quantity";
import { suggest } from "./schema";
import { type NodePoolValues } from "./stackFile";
import { ACCELERATOR_LABEL, GPU_TAINT, GPU_TYPE_LABEL, POOL_LABEL, ROLE_LABEL } from "./wire";

type PoolRole = NodePoolValues["role"];

/**
 * Taint of the ray-head and CPU ray-worker pools (gke mode): their nodes are sized for one Ray
 * pod, and anything else there (an owner's Deployment, a RayJob submitter) would take the room
 * of the next head or worker and keep an idle node from scaling to zero. Ray pods tolerate it;
 * everything else goes to the untainted system pool. GPU pools have the GPU taint instead.
 */
const rayPoolTaint = (role: "ray-head" | "ray-worker") =>
  ({ key: ROLE_LABEL, value: role, effect: "NoSchedule" }) as const;

export interface PoolGpu {
  /** Friendly name (t4). */
  readonly type: string;
  /** GKE accelerator type (nvidia-tesla-t4). */
  readonly gkeType: string;
  /** GPUs per node. */
  readonly count: number;
}

export interface ResolvedPool {
  readonly name: string;
  readonly role: PoolRole;
  readonly machineType?: string;
  readonly minNodes: number;
  readonly maxNodes: number;
  readonly spot: boolean;
  readonly diskSizeGb: number;
  readonly diskType: string;
  readonly gpu?: PoolGpu;
  /** gke mode: zones the pool's nodes run in (only zones that offer its GPU). */
  readonly zones: readonly string[];
  /** What one pod may request to be alone on a node, when the shape is known. */
  readonly capacity?: NodeCapacity;
  /** Labels GKE puts on the pool's nodes (gke mode). */
  readonly nodeLabels: Readonly<Record<string, string>>;
  /** nodeSelector that puts a pod on this pool. */
  readonly selector: Readonly<Record<string, string>>;
  /** Taints on the pool's nodes, which its pods tolerate. */
  readonly taints: readonly { readonly key: string; readonly value: string; readonly effect: "NoSchedule" }[];
}

interface PoolContext {
  readonly mode: "gke" | "existing";
  readonly region?: string;
  /** gke.zones, when in gke mode. */
  readonly clusterZones: readonly string[];
  readonly catalog: Catalog;
}

/** Check every pool and resolve the valid ones; problems go to `report`. */
export function resolveNodePools(
  pools: readonly NodePoolValues[],
  ctx: PoolContext,
  report: Report,
): ResolvedPool[] {
  const key = "ray-platform:nodePools";
  const seen = new Map<string, number>();
  const resolved: ResolvedPool[] = [];
  pools.forEach((pool, i) => {
    const at = (path: (string | number)[], message: string) => report([key, i, ...path], message);
    const first = seen.get(pool.name);
    if (first !== undefined) {
      at(
        ["name"],
        `pool name "${pool.name}" is already used by ${key}[${first}]; pool names must be unique, rename one.`,
      );
      return;
    }
    seen.set(pool.name, i);
    const r = resolvePool(pool, ctx, at);
    if (r) resolved.push(r);
  });
  if (ctx.mode === "gke") {
    for (const role of ["system", "ray-head"] as const) {
      if (pools.length > 0 && !pools.some((p) => p.role === role)) {
        report(
          [key],
          `no pool has role "${role}"; add one (e.g. { name: ${role === "system" ? "system" : "ray-head"}, role: ${role}, machineType: n2-standard-${role === "system" ? 4 : 16}, minNodes: ${role === "system" ? 1 : 0}, maxNodes: 3 }).`,
        );
      }
    }
    if (pools.length === 0)
      report(
        [key],
        "is empty; a GKE cluster needs node pools: at least one with role system and one with role ray-head (see Pulumi.dev.yaml).",
      );
  }
  return resolved;
}

function resolvePool(
  pool: NodePoolValues,
  ctx: PoolContext,
  at: (path: (string | number)[], message: string) => void,
): ResolvedPool | undefined {
  let ok = true;
  const fail = (path: (string | number)[], message: string) => {
    ok = false;
    at(path, message);
  };
  if (pool.minNodes > pool.maxNodes) {
    fail(
      ["minNodes"],
      `'minNodes' (${pool.minNodes}) must be less than or equal to 'maxNodes' (${pool.maxNodes}); lower minNodes or raise maxNodes.`,
    );
  }
  if (pool.role === "system" && pool.minNodes < 1 && ctx.mode === "gke") {
    fail(
      ["minNodes"],
      `a system pool needs minNodes of at least 1 so the KubeRay operator always has a node; set minNodes: 1.`,
    );
  }

  // Shape: from the machine type (gke mode needs one) or from an explicit capacity.
  let shape: ReturnType<Catalog["machineShape"]> | undefined;
  if (pool.machineType !== undefined) {
    shape = ctx.catalog.machineShape(pool.machineType);
    if ("problem" in shape) {
      fail(["machineType"], shape.problem);
      shape = undefined;
    }
  } else if (ctx.mode === "gke") {
    fail(
      ["machineType"],
      `is required in gke mode; set a machine type such as n2-standard-16 (CPU) or n1-standard-16 (T4).`,
    );
  }
  if (pool.capacity && pool.machineType !== undefined) {
    fail(
      ["capacity"],
      `set either machineType or capacity, not both; the capacity of a machine type is computed from its shape.`,
    );
  }
  if (pool.nodeSelector && ctx.mode === "gke") {
    fail(
      ["nodeSelector"],
      `is for existing mode only; in gke mode the program labels the pool's nodes itself (${POOL_LABEL}: ${pool.name}). Remove it.`,
    );
  }

  // GPU: the machine type must carry it, with a count it allows, in zones that offer it.
  let gpu: PoolGpu | undefined;
  let zones: string[] = [];
  if (pool.gpu) {
    const accel = ctx.catalog.accelerators[pool.gpu.type];
    if (!accel) {
      const s = suggest(pool.gpu.type, ctx.catalog.gpuTypes);
      fail(
        ["gpu", "type"],
        `${show(pool.gpu.type)} is not a GPU this platform knows; use one of ${ctx.catalog.gpuTypes.join(", ")}${s ? ` (did you mean "${s}"?)` : ""}.`,
      );
    } else {
      if (pool.role !== "ray-worker") {
        fail(
          ["role"],
          `a GPU pool must have role ray-worker (not ${pool.role}); heads and system pods never hold a GPU node. Remove gpu or change role.`,
        );
      }
      if (pool.minNodes !== 0) {
        fail(
          ["minNodes"],
          `GPU pools must scale to zero so idle GPUs cost nothing; set minNodes: 0 (was ${pool.minNodes}).`,
        );
      }
      const gpuCount =
        shape && !("problem" in shape) ? checkGpuShape(pool, shape, accel, ctx, fail) : (pool.gpu.count ?? 1);
      if (gpuCount !== undefined) gpu = { type: pool.gpu.type, gkeType: accel.gkeType, count: gpuCount };
      if (ctx.mode === "gke") zones = gpuZones(pool, accel, ctx, fail);
    }
  } else if (shape && !("problem" in shape) && shape.fixedGpu) {
    fail(
      ["gpu"],
      `${pool.machineType} always has ${shape.fixedGpu.count} ${shape.fixedGpu.type} GPU(s); add gpu: { type: ${shape.fixedGpu.type} } or pick a machine type without GPUs.`,
    );
  } else if (ctx.mode === "gke") {
    zones = cpuZones(pool, ctx, fail);
  }
  if (!ok) return undefined;

  let capacity: NodeCapacity | undefined;
  if (shape && !("problem" in shape)) capacity = ctx.catalog.nodeCapacity(shape);
  else if (pool.capacity) {
    capacity = {
      cpu: Math.floor(parseQuantity(pool.capacity.cpu) ?? 0),
      memoryGi: Math.floor((parseQuantity(pool.capacity.memory) ?? 0) / 2 ** 30),
    };
  }

  const nodeLabels: Record<string, string> = { [POOL_LABEL]: pool.name, [ROLE_LABEL]: pool.role };
  if (gpu) nodeLabels[GPU_TYPE_LABEL] = gpu.type;
  const selector: Record<string, string> =
    ctx.mode === "existing" && pool.nodeSelector ? { ...pool.nodeSelector } : { [POOL_LABEL]: pool.name };
  if (gpu) selector[ACCELERATOR_LABEL] = gpu.gkeType;
  return {
    name: pool.name,
    role: pool.role,
    machineType: pool.machineType,
    minNodes: pool.minNodes,
    maxNodes: pool.maxNodes,
    spot: pool.spot,
    diskSizeGb: pool.diskSizeGb,
    diskType: pool.diskType,
    gpu,
    zones,
    capacity,
    nodeLabels,
    selector,
    // In existing mode the nodes are not the program's to taint.
    taints: gpu ? [GPU_TAINT] : pool.role !== "system" && ctx.mode === "gke" ? [rayPoolTaint(pool.role)] : [],
  };
}

/** The GPU count a pool's machine type allows, or undefined after reporting why not. */
function checkGpuShape(
  pool: NodePoolValues,
  shape: Exclude<ReturnType<Catalog["machineShape"]>, { problem: string }>,
  accel: Catalog["accelerators"][string],
  ctx: PoolContext,
  fail: (path: (string | number)[], message: string) => void,
): number | undefined {
  const type = pool.gpu!.type;
  if (!shape.gpuTypes.includes(type)) {
    const carriers = carriersOf(type, ctx.catalog);
    fail(
      ["machineType"],
      `${pool.machineType} cannot carry ${type} GPUs; ${type} needs ${carriers}. Change machineType or gpu.type.`,
    );
    return undefined;
  }
  if (shape.fixedGpu) {
    if (pool.gpu!.count !== undefined && pool.gpu!.count !== shape.fixedGpu.count) {
      fail(
        ["gpu", "count"],
        `${pool.machineType} has exactly ${shape.fixedGpu.count} GPU(s), not ${pool.gpu!.count}; remove gpu.count or pick the a2 type with ${pool.gpu!.count} GPUs.`,
      );
      return undefined;
    }
    return shape.fixedGpu.count;
  }
  const count = pool.gpu!.count ?? 1;
  const allowed = accel.counts ?? [];
  const rule = allowed.find((c) => c.count === count);
  if (!rule) {
    fail(
      ["gpu", "count"],
      `${type} nodes take ${allowed.map((c) => c.count).join(", ")} GPUs, not ${count}; pick one of those.`,
    );
    return undefined;
  }
  if (shape.vcpus > rule.maxVcpus || shape.memoryGi > rule.maxMemoryGb) {
    fail(
      ["machineType"],
      `${pool.machineType} (${shape.vcpus} vCPU, ${shape.memoryGi} GB) is too big for ${count} ${type} GPU(s), which allow at most ${rule.maxVcpus} vCPU and ${rule.maxMemoryGb} GB; use a smaller machine or more GPUs.`,
    );
    return undefined;
  }
  return count;
}

function carriersOf(type: string, catalog: Catalog): string {
  const families = Object.entries(catalog.machineTypes.families)
    .filter(([, f]) => f.gpus.includes(type))
    .map(([n]) => `${n}-*`);
  const shapes = Object.entries(catalog.machineTypes.shapes)
    .filter(([, s]) => s.gpu.type === type)
    .map(([n]) => n);
  return [...families, ...shapes].join(", ") || "a machine type listed in data/gke-machine-types.yaml";
}

/** Zones of a GPU pool: its own zones (each must offer the GPU) or the cluster's zones that do. */
function gpuZones(
  pool: NodePoolValues,
  accel: Catalog["accelerators"][string],
  ctx: PoolContext,
  fail: (path: (string | number)[], message: string) => void,
): string[] {
  const region = ctx.region ?? "";
  const offered = (accel.zones[region] ?? []).map((z) => `${region}-${z}`);
  const type = pool.gpu!.type;
  if (offered.length === 0) {
    fail(
      ["gpu", "type"],
      `${type} is not offered in region ${region} according to data/gke-accelerators.yaml; pick another GPU or region, or add the region's zones to that file.`,
    );
    return [];
  }
  if (pool.zones) {
    const missing = pool.zones.filter((z) => !offered.includes(z));
    if (missing.length > 0) {
      fail(
        ["zones"],
        `${missing.join(", ")} ${missing.length === 1 ? "does" : "do"} not offer ${type} (offered in ${region}: ${offered.join(", ")}); remove ${missing.length === 1 ? "it" : "them"}.`,
      );
      return [];
    }
    if (!checkSubset(pool.zones, ctx, fail)) return [];
    return [...pool.zones];
  }
  const zones = ctx.clusterZones.filter((z) => offered.includes(z));
  if (zones.length === 0) {
    fail(
      ["gpu", "type"],
      `none of gke.zones (${ctx.clusterZones.join(", ")}) offers ${type}; add one of ${offered.join(", ")} to gke.zones.`,
    );
  }
  return zones;
}

function cpuZones(
  pool: NodePoolValues,
  ctx: PoolContext,
  fail: (path: (string | number)[], message: string) => void,
): string[] {
  if (!pool.zones) return [...ctx.clusterZones];
  return checkSubset(pool.zones, ctx, fail) ? [...pool.zones] : [];
}

function checkSubset(
  zones: readonly string[],
  ctx: PoolContext,
  fail: (path: (string | number)[], message: string) => void,
): boolean {
  const outside = zones.filter((z) => !ctx.clusterZones.includes(z));
  if (outside.length > 0) {
    fail(
      ["zones"],
      `${outside.join(", ")} ${outside.length === 1 ? "is" : "are"} not among gke.zones (${ctx.clusterZones.join(", ")}); add ${outside.length === 1 ? "it" : "them"} to gke.zones or remove ${outside.length === 1 ? "it" : "them"} here.`,
    );
    return false;
  }
  return true;
}
