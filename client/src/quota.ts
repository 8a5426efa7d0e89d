/**
 * What a namespace's quotas have left, from the ResourceQuotas the program renders
 * (render/tenancy.ts: team-quota and one gpu-<type> quota per GPU type, scoped to the type's
 * PriorityClass) and their status (hard and used, kept by Kubernetes' quota controller).
 */
import { GPU_RESOURCE, gpuPriorityClass } from "../../config/wire";
import { formatMemory, parseQuantity } from "../../config/quantity";
import { type Demand } from "../../config/rayClusters";
import { type PlatformFacts, type TeamFacts } from "../../render/platformFacts";
import { RefusedError } from "./errors";

interface Quota {
  metadata: { name: string };
  spec?: { hard?: Record<string, string>; scopeSelector?: { matchExpressions?: { scopeName: string; values?: string[] }[] } };
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
}

/** Hints for the message: which flag lowers the demand. */
export interface QuotaHints {
  /** What lowers the demand: "lower --max-workers". */
  readonly lower: string;
  /** What needs it: "this cluster needs %s at its maximum". */
  readonly needs: string;
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Refuse when `demand` (what the cluster may add, at its maximum) does not fit what the
 * quotas have left. Counts one more RayCluster when `newCluster`.
 */
export function checkQuota(quotas: readonly Quota[], demand: Demand, facts: PlatformFacts, team: TeamFacts, hints: QuotaHints, newCluster: boolean): void {
  const problems: string[] = [];
  const ns = team.team;
  /** `fmt` shows an amount, `unit` what it counts ("t4 GPUs"): "2 of 8 t4 GPUs free". */
  const check = (q: Quota, key: string, need: number, fmt: (n: number) => string, unit: string, field: string, lower = hints.lower) => {
    const hardText = q.status?.hard?.[key] ?? q.spec?.hard?.[key];
    if (hardText === undefined || need <= 0) return;
    const hard = parseQuantity(hardText) ?? 0;
    const used = parseQuantity(q.status?.used?.[key] ?? "0") ?? 0;
    const free = Math.max(0, hard - used);
    if (need > free + 1e-9) {
      problems.push(`${ns} has ${fmt(free)} of ${fmt(hard)} ${unit} free; ${hints.needs.replace("%s", `${fmt(need)} ${unit}`)}; ${lower} or raise ${field} in ${team.file}.`);
    }
  };
  const num = (n: number) => String(round(n));
  const mem = (n: number) => formatMemory(Math.round(n));
  const gpuTotal = Object.values(demand.gpus).reduce((a, b) => a + b, 0);
  for (const q of quotas) {
    const scope = q.spec?.scopeSelector?.matchExpressions?.find((e) => e.scopeName === "PriorityClass")?.values ?? [];
    if (scope.length > 0) {
      // A per-GPU-type quota: the types whose PriorityClass it selects.
      for (const t of facts.gpuTypes.filter((t) => scope.includes(gpuPriorityClass(t.gkeType)))) {
        check(q, `requests.${GPU_RESOURCE}`, demand.gpus[t.type] ?? 0, num, `${t.type} GPUs`, `quota.gpus.${t.type}`);
      }
      continue;
    }
    check(q, "requests.cpu", demand.cpu, num, "CPUs", "quota.cpu");
    check(q, "requests.memory", demand.memoryBytes, mem, "memory", "quota.memory");
    check(q, `requests.${GPU_RESOURCE}`, gpuTotal, num, "GPUs", "quota.gpus");
    if (newCluster) check(q, "count/rayclusters.ray.io", 1, num, "RayClusters", "quota.rayClusters", "delete a cluster you no longer use");
  }
  if (problems.length > 0) throw new RefusedError(problems.join("\n"));
}
