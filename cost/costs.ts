/**
 * What the platform costs, computed from the plan's view of it (so the same functions price a
 * pull request's base and head): per pool, per team quota, per RayCluster and for the stack.
 * Pure functions of the view and the price table; undefined where a price is unknown (mode
 * existing, or a machine type the table lacks).
 */
import { catalog } from "../config/catalog";
import { GI, parseQuantity } from "../config/quantity";
import { type PlatformView, type PoolView, type RayClusterView, type TeamView } from "../config/view";
import { type BilledNode, nodeHourly, type PriceTable } from "./prices";

/** The friendly GPU name (t4) of a GKE accelerator type (nvidia-tesla-t4). */
function gpuName(gkeType: string): string {
  return Object.entries(catalog().accelerators).find(([, a]) => a.gkeType === gkeType)?.[0] ?? gkeType;
}

/** Region of a pool: its zones' region (us-central1-a -> us-central1). */
const regionOf = (zone: string) => zone.replace(/-[a-z]$/, "");

/** A pool's node as it is billed, or undefined when the pool has no machine type or zone (mode existing). */
function billedNode(pool: PoolView): BilledNode | undefined {
  const [zone] = pool.zones;
  if (!pool.machineType || zone === undefined) return undefined;
  return {
    machineType: pool.machineType,
    gpu: pool.gpu && { type: gpuName(pool.gpu.type), count: pool.gpu.count },
    spot: pool.spot,
    region: regionOf(zone),
  };
}

interface PoolCost {
  /** One node, machine and GPUs. */
  readonly nodeHourly: number;
  /** Every node up (maxNodes), all month. */
  readonly monthlyAtMax: number;
}

export function poolCost(table: PriceTable, pool: PoolView): PoolCost | undefined {
  const node = billedNode(pool);
  const hourly = node && nodeHourly(table, node);
  if (hourly === undefined) return undefined;
  return { nodeHourly: hourly, monthlyAtMax: hourly * pool.maxNodes * table.hoursPerMonth };
}

interface TeamCeiling {
  /** The most the team's quota can cost a month, GPUs and CPU pools together. */
  readonly monthly: number;
  /** Per GPU type: the monthly cost of the quota's GPUs on the pool that carries them. */
  readonly gpus: Readonly<Record<string, number>>;
  /** CPU and memory quota on the CPU worker pools. */
  readonly cpu: number;
}

/**
 * The monthly ceiling of a team's quota: its GPUs priced as the whole nodes that carry them
 * (ceil(quota / GPUs per node) nodes), and its CPU and memory as the CPU worker nodes that hold
 * them (ceil(max(cpu / vCPUs, memory / node memory)) nodes). Where several pools could carry
 * them, the dearest counts: it is a ceiling. GPU nodes also bring CPUs and memory that count
 * against the CPU quota; the ceiling does not net them out.
 */
export function teamCeiling(
  table: PriceTable,
  team: TeamView,
  pools: readonly PoolView[],
): TeamCeiling | undefined {
  const priced = pools.map((p) => ({ pool: p, hourly: poolCost(table, p)?.nodeHourly }));
  if (priced.some((p) => p.hourly === undefined)) return undefined;
  const dearest = (costs: number[]) => (costs.length ? Math.max(...costs) : 0);
  const gpus: Record<string, number> = {};
  for (const [type, quantity] of Object.entries(team.gpuQuota)) {
    const wanted = parseQuantity(quantity) ?? 0;
    const carriers = priced.filter((p) => p.pool.gpu && gpuName(p.pool.gpu.type) === type);
    gpus[type] =
      dearest(carriers.map((p) => Math.ceil(wanted / p.pool.gpu!.count) * p.hourly!)) * table.hoursPerMonth;
  }
  const cpu = parseQuantity(team.quota["requests.cpu"] ?? "0") ?? 0;
  const memoryGi = (parseQuantity(team.quota["requests.memory"] ?? "0") ?? 0) / GI;
  const cpuPools = priced.filter((p) => !p.pool.gpu && p.pool.role === "ray-worker");
  const cpuHourly = dearest(
    cpuPools.map((p) => {
      const shape = catalog().machineShape(p.pool.machineType);
      if ("problem" in shape) return 0;
      return Math.ceil(Math.max(cpu / shape.vcpus, memoryGi / shape.memoryGi)) * p.hourly!;
    }),
  );
  const cpuMonthly = cpuHourly * table.hoursPerMonth;
  return { monthly: Object.values(gpus).reduce((a, b) => a + b, cpuMonthly), gpus, cpu: cpuMonthly };
}

/**
 * The hourly cost of a RayCluster with these worker counts (group name -> pods), head included,
 * one node per pod (the platform sizes each Ray pod to its node). For a running cluster, pass
 * the counts the cluster reports; for a plan, the group's minReplicas or maxReplicas.
 */
export function rayClusterHourly(
  table: PriceTable,
  rc: RayClusterView,
  pools: readonly PoolView[],
  workers: Readonly<Record<string, number>>,
): number | undefined {
  return rayClusterHourlyOn(
    (pool) => {
      const p = pools.find((x) => x.name === pool);
      return p && poolCost(table, p)?.nodeHourly;
    },
    rc,
    workers,
  );
}

/** rayClusterHourly with a node's hourly price per pool name given (the client's, from the published facts). */
export function rayClusterHourlyOn(
  nodeHourlyOf: (pool: string | undefined) => number | undefined,
  rc: {
    readonly head: { readonly pool?: string };
    readonly workers: readonly { readonly name: string; readonly pool?: string }[];
  },
  workers: Readonly<Record<string, number>>,
): number | undefined {
  const head = nodeHourlyOf(rc.head.pool);
  if (head === undefined) return undefined;
  let total = head;
  for (const group of rc.workers) {
    const count = workers[group.name] ?? 0;
    if (count === 0) continue;
    const node = nodeHourlyOf(group.pool);
    if (node === undefined) return undefined;
    total += count * node;
  }
  return total;
}

interface RayClusterCost {
  readonly hourlyAtMin: number;
  readonly hourlyAtMax: number;
}

export function rayClusterCost(
  table: PriceTable,
  rc: RayClusterView,
  pools: readonly PoolView[],
): RayClusterCost | undefined {
  const at = (which: "minReplicas" | "maxReplicas") =>
    rayClusterHourly(table, rc, pools, Object.fromEntries(rc.workers.map((w) => [w.name, w[which]])));
  const [min, max] = [at("minReplicas"), at("maxReplicas")];
  return min === undefined || max === undefined ? undefined : { hourlyAtMin: min, hourlyAtMax: max };
}

/** The stack at maximum scale for a month: every pool at maxNodes, plus the cluster fee. */
export function stackMonthlyAtMax(table: PriceTable, view: PlatformView): number | undefined {
  if (!view.cluster) return undefined;
  let total = table.clusterFeeHourly * table.hoursPerMonth;
  for (const pool of view.pools) {
    const cost = poolCost(table, pool);
    if (!cost) return undefined;
    total += cost.monthlyAtMax;
  }
  return total;
}

/** $1,234 (whole dollars) or $0.78 (cents) for people. */
export function usd(amount: number, cents = false): string {
  const sign = amount < 0 ? "-" : "";
  const digits = cents ? 2 : 0;
  return `${sign}$${Math.abs(amount).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** +$1,234 / -$1,234 for changes. */
export const usdChange = (amount: number, cents = false) =>
  amount >= 0 ? `+${usd(amount, cents)}` : usd(amount, cents);
