/**
 * What a namespace's quotas have left, from the ResourceQuotas the program renders
 * (render/tenancy.ts: team-quota and one gpu-<type> quota per GPU type, scoped to the type's
 * PriorityClass) and their status (hard and used, kept by Kubernetes' quota controller).
 */
import { GPU_RESOURCE, gpuPriorityClass } from "../../config/wire";
import { formatMemory, GI, parseQuantity } from "../../config/quantity";
import { type Demand } from "../../config/rayClusters";
import { type PlatformFacts, type TeamFacts } from "../../render/platformFacts";
import { RefusedError } from "./errors";

interface Quota {
  metadata: { name: string };
  spec?: {
    hard?: Record<string, string>;
    scopeSelector?: { matchExpressions?: { scopeName: string; values?: string[] }[] };
  };
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
}

/** What each kind of shortfall is about: the flags that lower it. */
export type QuotaDimension = "cpu" | "memory" | "gpus" | "rayClusters";

/** Hints for the message. */
export interface QuotaHints {
  /** What is being checked: "this cluster at its maximum", "2 more workers". */
  readonly what: string;
  /** What the user can lower for these shortfalls: "--workers or --gpus-per-worker". */
  readonly lower: (short: ReadonlySet<QuotaDimension>) => string;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Memory for reading: whole Gi with two decimals at most (2115.5Gi), Mi below 1Gi. */
const readableMemory = (bytes: number) =>
  bytes >= GI ? `${round(bytes / GI)}Gi` : formatMemory(Math.round(bytes));

/**
 * Refuse when `demand` (what the cluster may add, at its maximum) does not fit what the
 * quotas have left, in one message: a line per shortfall, then what to change. Counts one
 * more RayCluster when `newCluster`.
 */
export function checkQuota(
  quotas: readonly Quota[],
  demand: Demand,
  facts: PlatformFacts,
  team: TeamFacts,
  hints: QuotaHints,
  newCluster: boolean,
): void {
  const short: { dimension: QuotaDimension; line: string; field: string }[] = [];
  /** `fmt` shows an amount, `unit` what it counts ("t4 GPUs"). */
  const check = (
    q: Quota,
    key: string,
    need: number,
    fmt: (n: number) => string,
    unit: string,
    field: string,
    dimension: QuotaDimension,
  ) => {
    const hardText = q.status?.hard?.[key] ?? q.spec?.hard?.[key];
    if (hardText === undefined) return;
    const hard = parseQuantity(hardText) ?? 0;
    const used = parseQuantity(q.status?.used?.[key] ?? "0") ?? 0;
    const free = Math.max(0, hard - used);
    // Nothing asked never exceeds what is free (free >= 0); the tolerance absorbs float sums of fractions.
    if (need > free + 1e-9)
      short.push({
        dimension,
        field,
        line: `${unit}: needs ${fmt(need)}, ${fmt(free)} of ${fmt(hard)} free (${field})`,
      });
  };
  const num = (n: number) => String(round(n));
  const gpuTypes = Object.keys(demand.gpus).filter((t) => (demand.gpus[t] ?? 0) > 0);
  const gpuTotal = gpuTypes.reduce((a, t) => a + (demand.gpus[t] ?? 0), 0);
  // Per-type quotas first (an unscoped quota selects no type here): the namespace-wide GPU total
  // is their sum, said only when no type is short.
  for (const q of quotas) {
    for (const t of facts.gpuTypes.filter((t) => scopeOf(q).includes(gpuPriorityClass(t.gkeType)))) {
      check(
        q,
        `requests.${GPU_RESOURCE}`,
        demand.gpus[t.type] ?? 0,
        num,
        `${t.type} GPUs`,
        `quota.gpus.${t.type}`,
        "gpus",
      );
    }
  }
  for (const q of quotas.filter((q) => scopeOf(q).length === 0)) {
    check(q, "requests.cpu", demand.cpu, num, "CPUs", "quota.cpu", "cpu");
    check(q, "requests.memory", demand.memoryBytes, readableMemory, "memory", "quota.memory", "memory");
    if (!short.some((s) => s.dimension === "gpus"))
      check(
        q,
        `requests.${GPU_RESOURCE}`,
        gpuTotal,
        num,
        "GPUs",
        gpuTypes.map((t) => `quota.gpus.${t}`).join(", "),
        "gpus",
      );
    if (newCluster)
      check(q, "count/rayclusters.ray.io", 1, num, "RayClusters", "quota.rayClusters", "rayClusters");
  }
  if (short.length === 0) return;
  const dims = new Set(short.map((s) => s.dimension));
  const fields = short.map((s) => s.field);
  const fieldList =
    fields.length === 1 ? fields[0] : `${fields.slice(0, -1).join(", ")} and ${fields[fields.length - 1]}`;
  const ways = [
    ...(dims.size === 1 && dims.has("rayClusters") ? [] : [hints.lower(dims)]),
    ...(dims.has("rayClusters") ? ["delete a cluster you no longer use"] : []),
  ];
  throw new RefusedError(
    [
      `${team.team}'s quota cannot hold ${hints.what}:`,
      ...short.map((s) => `  ${s.line}`),
      `${capitalize(ways.join(" or "))}, or have the team's owners raise ${fieldList} in ${team.file}.`,
    ].join("\n"),
  );
}

function scopeOf(q: Quota): string[] {
  return q.spec?.scopeSelector?.matchExpressions?.find((e) => e.scopeName === "PriorityClass")?.values ?? [];
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
